// public/tv.html: the framework-free call screen for hall TVs. Its script is run in jsdom and fed a sample
// calls.json; the polling is switched off so the test drives render() itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCalls } from './helpers'

type TvWindow = Window & { BANSHI_TV_MANUAL?: boolean; BanshiTv?: { render: (data: unknown) => void } }

// The page is loaded as text, the way the terminal serves it.
const html = Object.values(
  import.meta.glob('../public/tv.html', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
)[0]!

function load(): TvWindow {
  const body = /<body>([\s\S]*)<\/body>/.exec(html)![1]!
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!
  document.body.innerHTML = body.replace(/<script>[\s\S]*?<\/script>/, '')
  const w = window as TvWindow
  w.BANSHI_TV_MANUAL = true
  new Function(script)()
  return w
}

const byTestId = (id: string) => document.querySelector(`[data-testid="${id}"]`)

describe('tv.html', () => {
  let w: TvWindow
  beforeEach(() => {
    w = load()
  })
  afterEach(() => {
    delete w.BanshiTv
    delete w.BANSHI_TV_MANUAL
    document.body.innerHTML = ''
  })

  it('is plain ES5: no modules, arrows, let/const, template literals or fetch', () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!
    expect(html).not.toMatch(/type=["']module["']/)
    expect(script).not.toMatch(/=>|\blet\s|\bconst\s|`|\bfetch\(/)
    expect(script).toContain("'tv/calls.json'")
  })

  it('renders windows, recent calls and waiting counts from a sample calls.json', () => {
    w.BanshiTv!.render(makeCalls())
    expect(byTestId('now-calling')!.textContent).toBe('A012')
    expect(document.body.textContent).toContain('请 A012 号到 1 号窗口 办理')
    expect(byTestId('call-window-1')!.querySelector('[data-testid="call-current"]')!.textContent).toBe('A012')
    expect(byTestId('call-window-2')!.textContent).toContain('暂停服务')
    expect(byTestId('call-window-3')!.textContent).toContain('未开放')
    expect(byTestId('recent-B003')!.textContent).toBe('B0032 号窗口')
    expect(byTestId('waiting-A')!.textContent).toBe('A综合业务5 人')
    // No zh-CN name: any name the JSON has.
    expect(byTestId('waiting-B')!.textContent).toBe('B社保医保0 人')
    expect(document.getElementById('tv-total')!.textContent).toBe('共 5 人等候')
  })

  it('re-renders in place and shows the empty state', () => {
    w.BanshiTv!.render(makeCalls())
    w.BanshiTv!.render(makeCalls({ recent: [], windows: [], waiting: [] }))
    expect(byTestId('now-calling')).toBeNull()
    expect(document.body.textContent).toContain('暂无叫号')
    expect(document.querySelectorAll('#tv-windows li')).toHaveLength(0)
    expect(document.getElementById('tv-total')!.textContent).toBe('共 0 人等候')
  })

  it('puts text in as text, never as markup', () => {
    w.BanshiTv!.render(
      makeCalls({ waiting: [{ category: 'X', name: { 'zh-CN': '<img src=x onerror=alert(1)>' }, n: 1 }] }),
    )
    expect(document.querySelector('#tv-waiting img')).toBeNull()
    expect(byTestId('waiting-X')!.textContent).toContain('<img')
  })
})
