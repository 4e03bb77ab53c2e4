// Browser E2E of the fleet admin console (issue 8): a hall with a sync server, an admin terminal holding the fleet
// admin's SM2 signing key, and three terminals of two modes (two self-service kiosks, one queue machine) that trust
// that key and send heartbeats every second. The fleet admin logs in on the admin terminal's page, sees every
// terminal with its applied version and device status, publishes a changed profile for the self-service group,
// advances the rollout to 100 % and sees the new version applied in the fleet view.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ADMIN, Hall, bin, uiLogin, until } from './hall.mjs'
import { launch, shot } from './browser.mjs'

const KIOSKS = ['hk-longhua-zz-01', 'hk-longhua-zz-02']
const QUEUE_MACHINE = 'hk-longhua-qm-01'
const ALL = [...KIOSKS, QUEUE_MACHINE]

let hall
let browser
let publicKey

/** Every terminal trusts the fleet admin's key and beats every second; the admin console signs with the key. */
function withFleet(mode, toml, keyFile) {
  const keys = [`trusted_keys = ["${publicKey}"]`, 'heartbeat_secs = 1']
  if (mode === 'admin') keys.push(`signing_key_file = "${keyFile}"`, 'offline_after_minutes = 5')
  // An example that has a [fleet] table already gets the keys at its top (later keys of the same name would
  // be duplicates: the example must not set them).
  if (/^\[fleet\]\s*$/m.test(toml)) return toml.replace(/^\[fleet\]\s*$/m, `[fleet]\n${keys.join('\n')}`)
  return `${toml}\n[fleet]\n${keys.join('\n')}\n`
}

before(async () => {
  hall = new Hall()
  const keyFile = join(hall.dir, 'fleet-signing.key')
  // As an installer would: the fleet admin's key pair, made once with the terminal binary's CLI.
  publicKey = execFileSync(bin('BANSHI_BIN', 'banshi'), ['fleet', 'keygen', '--out', keyFile], { encoding: 'utf8' }).trim()
  assert.match(publicKey, /^04[0-9a-f]{128}$/)
  const adjustProfile = (mode, toml) => withFleet(mode, toml, keyFile)
  await hall.start(['admin', 'self-service', 'queue-ticket'], { adjustProfile })
  await hall.addTerminal('self-service-2', 'self-service', { id: KIOSKS[1], label: '2号自助终端', adjustProfile })
  await hall.grantFleetAdmin()
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await hall?.stop()
})

const row = (page, id) => page.locator(`[data-testid="fleet-row-${id}"]`)
const applied = (page, id) => page.locator(`[data-testid="fleet-applied-${id}"]`)

test('the fleet admin sees every terminal, publishes a group profile, rolls it out to 100 % and sees it applied', async () => {
  const page = await browser.newPage()
  // A hall PC's screen: the fleet table's columns side by side.
  await page.setViewportSize({ width: 1600, height: 1000 })
  await page.goto(`${hall.terminals.admin}/`)
  await page.locator('[data-testid="mode-admin"]').waitFor({ timeout: 15000 })
  await uiLogin(page, hall.terminals.admin, ADMIN.id, ADMIN.password)

  // The fleet tab: every terminal, online, running its installed profile, with its devices' status.
  const fleetTab = page.locator('[data-testid="admin-tab-fleet"]')
  if (await fleetTab.count()) await fleetTab.click()
  await page.locator('[data-testid="fleet-table"]').waitFor({ timeout: 15000 })
  for (const id of ALL) {
    await row(page, id).waitFor({ timeout: 30000 })
    await page.locator(`[data-testid="fleet-online-${id}"][data-online="true"]`).waitFor({ timeout: 30000 })
    assert.equal((await applied(page, id).innerText()).trim(), '本机配置', `${id} runs its installed profile`)
  }
  // The queue machine's ticket printer is the hall's printer simulator; its status comes with the heartbeat.
  const printer = page.locator(`[data-testid="fleet-device-${QUEUE_MACHINE}-ticket_printer"]`)
  await printer.waitFor({ timeout: 30000 })
  assert.match(await printer.innerText(), /^取号打印机：/)
  assert.ok(await printer.getAttribute('data-status'))
  // Filters: only self-service kiosks.
  await page.locator('[data-testid="fleet-filter-mode"]').selectOption('self-service')
  await until(async () => (await page.locator('[data-testid^="fleet-row-"]').count()) === 2, { what: 'mode filter' })
  await page.locator('[data-testid="fleet-filter-mode"]').selectOption('')
  await until(async () => (await page.locator('[data-testid^="fleet-row-"]').count()) >= 3, { what: 'filter cleared' })
  await page.waitForTimeout(300)
  await shot(page, 'fleet-view')

  // Profiles tab: the self-service group of the hall, starting from the kiosks' own profile with a longer idle reset.
  await page.locator('[data-testid="admin-tab-profiles"]').click()
  await page.locator('[data-testid="profile-group-hall"]').fill('hk-longhua')
  await page.locator('[data-testid="profile-group-mode"]').selectOption('self-service')
  const own = readFileSync(join(hall.dir, 'self-service.toml'), 'utf8')
  await page.locator('[data-testid="profile-toml"]').fill(own)
  await page.locator('[data-testid="profile-valid"]').waitFor({ timeout: 15000 })
  const idle = page.locator('[data-testid="profile-field-ui-idle_timeout_secs"]')
  // Out of range first: the validator names the line and Publish stays disabled.
  await idle.fill('5')
  await idle.dispatchEvent('change')
  await page.locator('[data-testid="profile-errors"]').waitFor({ timeout: 15000 })
  assert.match(await page.locator('[data-testid="profile-errors"]').innerText(), /第 \d+ 行第 \d+ 列/)
  assert.equal(await page.locator('[data-testid="profile-publish"]').isDisabled(), true)
  await idle.fill('300')
  await idle.dispatchEvent('change')
  await page.locator('[data-testid="profile-valid"]').waitFor({ timeout: 15000 })
  assert.match(await page.locator('[data-testid="profile-toml"]').inputValue(), /idle_timeout_secs = 300/)
  await page.locator('[data-testid="profile-publish"]').click()
  const published = page.locator('[data-testid="profile-published"]')
  await published.waitFor({ timeout: 15000 })
  const version = Number(/第 (\d+) 版/.exec(await published.innerText())[1])

  // The new rollout is listed at 5 %; advance it twice, confirming each step.
  const rollout = page.locator('[data-testid="rollouts-table"] tbody tr[data-stage]').first()
  await rollout.waitFor({ timeout: 15000 })
  const releaseId = (await rollout.getAttribute('data-testid')).replace(/^rollout-/, '')
  assert.equal(await rollout.getAttribute('data-stage'), '5')
  for (const stage of ['20', '100']) {
    await page.locator(`[data-testid="rollout-advance-${releaseId}"]`).click()
    await page.locator('[data-testid="rollout-confirm"]').waitFor()
    await page.locator('[data-testid="rollout-confirm-yes"]').click()
    await page.locator(`[data-testid="rollout-${releaseId}"][data-stage="${stage}"]`).waitFor({ timeout: 15000 })
  }
  await page.locator(`[data-testid="rollout-${releaseId}"][data-state="complete"]`).waitFor({ timeout: 60000 })
  // Both kiosks of the group report the release applied (the list reloads every 5 s).
  await until(async () => /已应用 2，失败 0，目标 2/.test(await page.locator(`[data-testid="rollout-counts-${releaseId}"]`).innerText()), {
    what: 'both kiosks applied the release',
    timeoutMs: 30000,
  })
  await page.waitForTimeout(300)
  await shot(page, 'fleet-rollout')

  // Back on the fleet view: both kiosks run the new version, the queue machine still its own profile.
  await page.locator('[data-testid="admin-tab-fleet"]').click()
  for (const id of KIOSKS) {
    await page.locator(`[data-testid="fleet-applied-${id}"][data-version="${version}"]`).waitFor({ timeout: 60000 })
  }
  assert.equal((await applied(page, QUEUE_MACHINE).innerText()).trim(), '本机配置')
  // The kiosks really run it: their status shows the new idle reset.
  for (const name of ['self-service', 'self-service-2']) {
    await until(async () => (await (await fetch(`${hall.terminals[name]}/api/status`)).json()).idle_timeout_secs === 300, {
      what: `${name} applies the pushed profile`,
      timeoutMs: 30000,
    })
  }
  await page.close()
})
