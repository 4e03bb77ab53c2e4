// Browser E2E of the sync indicator and the list of records not yet synced: with the sync server stopped, a
// ticket taken at the queue machine shows up as waiting in the header and on /sync with its reason; once the
// server is back, both go back to zero by themselves. The list is a staff route: a clerk logs in on /sync.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Hall, CLERK, login, uiLogin } from './hall.mjs'
import { launch, shot } from './browser.mjs'

let hall
let browser

before(async () => {
  hall = new Hall()
  await hall.start(['queue-ticket'])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await hall?.stop()
})

const text = (page, testid) => page.locator(`[data-testid="${testid}"]`).first().innerText()

/** Wait until the element's text matches `pattern` (the UI updates on backend events, not on a timer). */
async function waitForText(page, testid, pattern, timeout = 20000) {
  await page.waitForFunction(
    ([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    [testid, pattern.source],
    { timeout },
  )
}

test('a ticket taken while the server is down waits in the indicator and on the list, then syncs', async () => {
  const page = await browser.newPage()
  await page.goto(`${hall.terminals['queue-ticket']}/`)
  await page.locator('[data-testid="mode-queue-ticket"]').waitFor({ timeout: 15000 })
  await waitForText(page, 'sync-state', /在线/)
  assert.equal((await text(page, 'sync-count')).trim(), '已全部同步')
  // The staff accounts reach this terminal through the server: wait for them before the server goes away.
  await login(hall.terminals['queue-ticket'], CLERK.id, CLERK.password)

  await hall.stopServer()
  await waitForText(page, 'sync-state', /离线/)

  await page.locator('[data-testid="category-A"]').click()
  await page.locator('[data-testid="issued-number"]').waitFor({ timeout: 15000 })
  const number = (await text(page, 'issued-number')).trim()
  assert.match(number, /^A\d{3}$/)
  await waitForText(page, 'sync-count', /^\s*1 条待同步\s*$/)
  assert.match(await page.locator('[data-testid="sync-indicator"]').getAttribute('class'), /tone-warn/)
  await page.waitForTimeout(300)
  await shot(page, 'sync-pending')

  await page.locator('[data-testid="sync-indicator"]').click()
  await page.locator('[data-testid="sync-list-screen"]').waitFor({ timeout: 15000 })
  assert.match(page.url(), /#\/sync$/)
  await uiLogin(page, hall.terminals['queue-ticket'], CLERK.id, CLERK.password)
  const row = page.locator(`[data-testid="unsynced-${number}"]`)
  await row.waitFor({ timeout: 15000 })
  assert.match(await row.innerText(), /号票/)
  assert.match(await row.locator('[data-testid="unsynced-reason"]').innerText(), /无法连接同步服务器/)
  assert.equal((await text(page, 'sync-list-total')).trim(), '共 1 条')
  await page.waitForTimeout(300)
  await shot(page, 'sync-list')

  // Back online: the sync loop pushes the ticket, and both the list and the indicator follow on their own.
  await hall.startServer()
  await page.locator('[data-testid="sync-list-empty"]').waitFor({ timeout: 30000 })
  await waitForText(page, 'sync-state', /在线/)
  await waitForText(page, 'sync-count', /已全部同步/)
  const status = await (await fetch(`${hall.terminals['queue-ticket']}/api/status`)).json()
  assert.equal(status.sync.pending, 0)
  await page.waitForTimeout(300)
  await shot(page, 'sync-list-empty')

  await page.locator('[data-testid="sync-back"]').click()
  await page.locator('[data-testid="mode-queue-ticket"]').waitFor({ timeout: 15000 })
  // Back on the resident's screen the clerk is logged out.
  await page.locator('[data-testid="staff-badge"]').waitFor({ state: 'detached', timeout: 15000 })
  await page.close()
})
