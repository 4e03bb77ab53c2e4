import { describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import BarChart from '../src/components/BarChart.vue'
import { createAppI18n } from '../src/i18n'
import AdminView from '../src/views/AdminView.vue'
import { FakeBackend, makeHallSetup, makeKpi, mountView } from './helpers'

describe('bar chart', () => {
  it('draws one bar per value, labelled for screen readers with a table of the figures', () => {
    const wrapper = mount(BarChart, {
      props: {
        label: 'Issued and served by hour',
        groupHeader: 'Hour',
        groups: ['9:00', '10:00'],
        series: [
          { name: 'Issued', values: [14, 8] },
          { name: 'Served', values: [9, 8] },
        ],
      },
      global: { plugins: [createAppI18n('en')] },
    })
    const svg = wrapper.get('svg')
    expect(svg.attributes('role')).toBe('img')
    expect(svg.attributes('aria-label')).toBe('Issued and served by hour')
    const rects = wrapper.findAll('rect')
    expect(rects).toHaveLength(4)
    // The tallest bar reaches the axis top (20 for a max of 14); heights are proportional.
    const heights = rects.map((r) => Number(r.attributes('height')))
    expect(heights[0]! / heights[1]!).toBeCloseTo(14 / 9)
    expect(wrapper.findAll('.bar-chart-value').map((t) => t.text())).toEqual(['14', '9', '8', '8'])
    const table = wrapper.get('table')
    expect(table.classes()).toContain('visually-hidden')
    expect(table.findAll('tbody tr').map((tr) => tr.findAll('th, td').map((c) => c.text()))).toEqual([
      ['9:00', '14', '9'],
      ['10:00', '8', '8'],
    ])
  })

  it('copes with all-zero values', () => {
    const wrapper = mount(BarChart, {
      props: { label: 'x', groupHeader: 'g', groups: ['a'], series: [{ name: 's', values: [0] }] },
    })
    expect(Number(wrapper.get('rect').attributes('height'))).toBe(0)
  })
})

describe('admin screen', () => {
  it('shows the hall KPIs with both charts and the per-window and per-staff tables', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(AdminView, backend)
    const kpi = wrapper.get('[data-testid="hall-kpi"]')
    expect(kpi.get('[data-testid="kpi-served"]').text()).toBe('17')
    expect(kpi.get('[data-testid="kpi-avg-wait"]').text()).toBe('7 分 0 秒')

    const byCategory = wrapper.get('[data-testid="kpi-by-category"]')
    expect(byCategory.get('svg').attributes('aria-label')).toBe('各业务类别等候与办结')
    expect(byCategory.findAll('tbody tr').map((tr) => tr.text())).toEqual(['A 综合业务512', 'B 社保医保05'])
    const byHour = wrapper.get('[data-testid="kpi-by-hour"]')
    expect(byHour.findAll('.bar-chart-value').map((t) => t.text())).toEqual(['14', '9', '8', '8'])
    expect(byHour.findAll('tbody th').map((th) => th.text())).toEqual(['9 时', '10 时'])

    expect(wrapper.get('[data-testid="kpi-window-1"]').text()).toContain('1 号窗口')
    expect(wrapper.get('[data-testid="kpi-staff-s1"]').text()).toContain('王芳')
    expect(wrapper.get('[data-testid="kpi-staff-s1"]').text()).toContain('5 分 10 秒')
  })

  it('shows the day\'s 好差评 figures for the hall, each window and each staff member', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(AdminView, backend)
    const kpi = wrapper.get('[data-testid="hall-kpi"]')
    expect(kpi.get('[data-testid="kpi-ratings"]').text()).toBe('3')
    expect(kpi.get('[data-testid="kpi-good-rate"]').text()).toBe('67%')
    const cells = (row: string) => wrapper.get(`[data-testid="${row}"]`).findAll('td').map((td) => td.text())
    expect(cells('kpi-window-1').slice(-2)).toEqual(['2', '50%'])
    expect(cells('kpi-staff-s1').slice(-2)).toEqual(['0', '—'])
  })

  it('reloads the KPIs on cases.changed (a rating was recorded)', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(AdminView, backend)
    const base = makeKpi()
    backend.kpi.mockResolvedValue({ ...base, hall: { ...base.hall, ratings: { ...base.hall.ratings, total: 4 } } })
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="kpi-ratings"]').text()).toBe('4')
  })

  it('reloads the KPIs on tickets.changed', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(AdminView, backend)
    const base = makeKpi()
    backend.kpi.mockResolvedValue({ ...base, hall: { ...base.hall, served: 18 } })
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="kpi-served"]').text()).toBe('18')
  })

  it('shows the hall set-up', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(AdminView, backend)
    const hall = wrapper.get('[data-testid="hall-setup"]')
    expect(hall.get('[data-testid="hall-meta"]').text()).toContain('HK-01')
    expect(hall.get('[data-testid="hall-category-A"]').text()).toContain('1、3')
    expect(hall.get('[data-testid="hall-window-2"]').text()).toContain('2 号窗口')
    expect(hall.get('[data-testid="hall-staff-s1"]').text()).toContain('王芳')
    expect(hall.get('[data-testid="hall-machines"]').findAll('li').map((li) => li.text())).toEqual(['T-QT-01', 'T-QT-02'])
  })

  it('says so when no hall file was imported yet', async () => {
    const backend = new FakeBackend()
    backend.hallSetup.mockResolvedValue(null)
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.find('[data-testid="hall-none"]').exists()).toBe(true)
  })

  it('imports a hall file and shows hall.invalid with its line and column', async () => {
    const backend = new FakeBackend()
    backend.importHall.mockRejectedValueOnce(new BackendError('hall.invalid', 'line 3, column 7: expected `=`'))
    backend.importHall.mockResolvedValueOnce(makeHallSetup({ version: 4 }))
    const { wrapper } = await mountView(AdminView, backend)
    const panel = wrapper.get('[data-testid="hall-import"]')
    expect(panel.get('[data-testid="hall-import-submit"]').attributes('disabled')).toBeDefined()
    await panel.get('[data-testid="hall-text"]').setValue('[hall\nid = 1')
    await panel.get('form').trigger('submit')
    await flushPromises()
    expect(backend.importHall).toHaveBeenCalledWith('[hall\nid = 1')
    const err = wrapper.get('[data-testid="hall-import-error"]')
    expect(err.text()).toContain('导入失败：大厅配置文件有误')
    expect(err.text()).toContain('line 3, column 7: expected `=`')

    await panel.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid="hall-import-error"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="hall-imported"]').text()).toBe('已导入，当前版本 4')
    expect(wrapper.get('[data-testid="hall-meta"]').text()).toContain('版本 4')
  })

  it('translates the wrong-mode refusal', async () => {
    const backend = new FakeBackend()
    backend.importHall.mockRejectedValue(new BackendError('terminal.wrong_mode', 'admin mode only'))
    const { wrapper } = await mountView(AdminView, backend, { locale: 'en' })
    await wrapper.get('[data-testid="hall-text"]').setValue('x = 1')
    await wrapper.get('[data-testid="hall-import"] form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="hall-import-error"]').text()).toBe(
      'Import failed: This terminal cannot do that in its current run mode',
    )
  })
})
