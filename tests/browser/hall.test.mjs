// Browser E2E against `banshi serve`: every mode's first screen shows the profile's real data, and the
// ticket slice works through the UI — a ticket taken at the queue machine is printed by the simulator and
// appears at the window (after the clerk's login) and on the call screen.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Hall, MODES, CLERK, uiLogin } from './hall.mjs'
import { launch, shot } from './browser.mjs'

const OUTLET = '海口市龙华区政务服务中心'
let hall
let browser

before(async () => {
  hall = new Hall()
  await hall.start()
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await hall?.stop()
})

test('every mode opens its first screen with the profile outlet and terminal id', async () => {
  for (const mode of MODES) {
    const page = await browser.newPage()
    const status = await (await fetch(`${hall.terminals[mode]}/api/status`)).json()
    await page.goto(`${hall.terminals[mode]}/`)
    await page.locator(`[data-testid="mode-${mode}"]`).waitFor({ timeout: 15000 })
    assert.equal(await page.locator('[data-testid="terminal-id"]').first().innerText(), status.terminal.id)
    assert.match(await page.locator('[data-testid="outlet"]').first().innerText(), new RegExp(OUTLET))
    // Let web fonts and the clock settle so the screenshot is what a person sees.
    await page.waitForTimeout(300)
    await shot(page, `${mode}`)
    await page.close()
  }
})

test('a ticket taken at the queue machine is printed and shows up at the window and on the call screen', async () => {
  const queue = await browser.newPage()
  await queue.goto(`${hall.terminals['queue-ticket']}/`)
  await queue.locator('[data-testid="category-A"]').click()
  const number = queue.locator('[data-testid="issued-number"]')
  await number.waitFor({ timeout: 15000 })
  const ticketNumber = (await number.innerText()).trim()
  assert.match(ticketNumber, /^A\d{3}$/)
  await shot(queue, 'queue-ticket-issued')

  // The printer simulator decoded the ESC/POS bytes: Chinese text in GB18030 and the native QR.
  let text
  for (let i = 0; i < 50 && !text; i++) {
    try { text = hall.printerJobText(1) } catch { await new Promise((r) => setTimeout(r, 100)) }
  }
  assert.ok(text, 'the printer simulator received no job')
  assert.ok(text.includes(ticketNumber), text)
  assert.ok(text.includes(OUTLET), text)
  assert.ok(text.includes('个人业务'), text)
  assert.match(text, /\[QR: .+\/q\/[0-9a-f-]{36}\]/)

  const desk = await browser.newPage()
  await desk.goto(`${hall.terminals.window}/`)
  await uiLogin(desk, hall.terminals.window, CLERK.id, CLERK.password)
  await desk.locator(`[data-testid="ticket-${ticketNumber}"]`).waitFor({ timeout: 20000 })
  await shot(desk, 'window-with-ticket')

  const screen = await browser.newPage()
  await screen.goto(`${hall.terminals['call-screen']}/`)
  await screen.locator('[data-testid="mode-call-screen"]').waitFor({ timeout: 15000 })
  // Category A's waiting count on the TV shows the one ticket.
  await screen.waitForFunction(
    () => /\b1\b/.test(document.querySelector('[data-testid="waiting-A"] .cs-cat-count')?.textContent ?? ''),
    null,
    { timeout: 20000 },
  )
  await shot(screen, 'call-screen-with-waiting')
  await Promise.all([queue.close(), desk.close(), screen.close()])
})
