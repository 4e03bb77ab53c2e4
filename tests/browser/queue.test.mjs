// Browser E2E of queue and calling (issue 5), the acceptance scenario: an admin imports the hall file, a resident
// whose ID card (the wire-level simulator) shows age 70 takes a priority ticket after two normal ones, window 5
// calls next and gets the elderly ticket first, and the call screen (the Vue page and the plain TV page on its
// own LAN listener) shows it; the admin console then has the day's figures. Staff log in first (accounts from the
// admin CLI, see hall.mjs); the clerk opens the applicant's full data once. Every screen is photographed, and at
// the end no log file of the hall holds the full ID number, the full name, a password or a session token.
// Terminals only meet through the hall's banshi-server, as in a real hall.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Hall, bin, freePort, until, api, login, uiLogin, secretsInLogs, seenTokens, ADMIN, CLERK, STAFF as ACCOUNTS } from './hall.mjs'
import { launch, shot } from './browser.mjs'

const MODES = ['queue-ticket', 'window', 'call-screen', 'admin']
const BORN = '1956-03-01'
const CARD_NAME = '测试甲'
// The clerk of window 5 in the demo hall file, whose account hall.mjs made.
const STAFF = { id: CLERK.id, name: CLERK.name }
// The simulator's `resident` card (drivers/idcard/src/sim/fixtures.rs) born on BORN: 110101 + birth date +
// sequence 003 (sequence 1, male) + the MOD 11-2 check digit.
const FULL_ID_NUMBER = idNumber(`110101${BORN.replaceAll('-', '')}003`)
// A masked 18-character resident ID: a few leading digits and the last four kept, at least ten hidden.
const MASKED_ID = /^(?=.{18}$)\d{3,4}\*{10,}\d{3}[\dX]$/

// The hall file as an admin would write it. Window 5 (the window profile's `queue.window`) serves A and C;
// the one ticket machine is the queue-ticket profile's terminal; the staff are the accounts' clerks.
const HALL_FILE = `hall_id = "hk-longhua"
ticket_machines = ["hk-longhua-qm-01"]

[[categories]]
code = "A"
name = { zh-CN = "个人业务", en = "Personal services" }
windows = [1, 2, 5]

[[categories]]
code = "B"
name = { zh-CN = "法人业务", en = "Business services" }
windows = [3, 4]

[[categories]]
code = "C"
name = { zh-CN = "社保医保", en = "Social & medical insurance" }
windows = [5, 6]

[[categories]]
code = "D"
name = { zh-CN = "不动产登记", en = "Real estate" }
windows = [6]

${[1, 2, 3, 4, 5, 6].map((n) => `[[windows]]\nnumber = ${n}\nlabel = "${n}号窗口"\n`).join('\n')}
[[staff]]
id = "${STAFF.id}"
name = "${STAFF.name}"
windows = [5]

[[staff]]
id = "s002"
name = "李明"
windows = [1, 2, 3]
`

let hall
let browser
let tvPort
let reader

/** Whole years of someone born on `born` (YYYY-MM-DD) on today's date in the hall (UTC+8), as the terminal counts. */
function ageInHall(born) {
  const today = new Date(Date.now() + 8 * 3600 * 1000)
  const [y, m, d] = born.split('-').map(Number)
  const beforeBirthday = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d)
  return today.getUTCFullYear() - y - (beforeBirthday ? 1 : 0)
}

/** The 18-character number for its first 17 digits: MOD 11-2 check digit (GB 11643). */
function idNumber(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return first17 + '10X98765432'[sum % 11]
}

const testid = (page, id) => page.locator(`[data-testid="${id}"]`)

before(async () => {
  hall = new Hall()
  tvPort = await freePort()
  // The queue machine's reader, with a resident born in 1956 on it: elderly priority starts at 65.
  const link = join(hall.dir, 'idcard-queue-ticket')
  reader = hall.spawn('idcard-sim', bin('BANSHI_IDCARD_SIM_BIN', 'banshi-idcard-sim'), [
    '--link', link, '--card', 'resident', '--born', BORN,
  ], {}, { stdin: 'pipe' })
  await hall.start(MODES, {
    adjustProfile: (mode, toml) => {
      if (mode === 'queue-ticket') return toml.replace('port = "/dev/ttyUSB0"', `port = "${link}"`)
      if (mode === 'call-screen') {
        const adjusted = toml.replace('# tv_listen = "0.0.0.0:8090"', `tv_listen = "127.0.0.1:${tvPort}"`)
        assert.notEqual(adjusted, toml, 'the call-screen example profile no longer has the tv_listen line')
        return adjusted
      }
      return toml
    },
  })
  browser = await launch()
})

after(async () => {
  await browser?.close()
  reader?.stdin.end()
  await hall?.stop()
})

test('an elderly resident takes a priority ticket, window 5 calls it first, the call screens show it', async (t) => {
  const term = hall.terminals
  const expectedAge = ageInHall(BORN)
  assert.ok(expectedAge >= 65, `the card's resident is ${expectedAge}, below the profile's elderly age`)

  // 1. The admin imports the hall file through the console's import panel.
  const admin = await browser.newPage()
  await admin.goto(`${term.admin}/`)
  await testid(admin, 'mode-admin').waitFor({ timeout: 15000 })
  await uiLogin(admin, term.admin, ADMIN.id, ADMIN.password)
  await testid(admin, 'staff-badge').waitFor()
  await testid(admin, 'hall-none').waitFor({ timeout: 15000 })
  await testid(admin, 'hall-text').fill(HALL_FILE)
  await testid(admin, 'hall-import-submit').click()
  await testid(admin, 'hall-imported').waitFor({ timeout: 15000 })
  assert.equal(await testid(admin, 'hall-import-error').count(), 0)
  for (const code of ['A', 'B', 'C', 'D']) await testid(admin, `hall-category-${code}`).waitFor()
  assert.match(await testid(admin, 'hall-meta').innerText(), /hk-longhua/)
  await testid(admin, 'hall-setup').scrollIntoViewIfNeeded()
  await shot(admin, 'queue-admin-hall-setup')

  // The set-up reaches every terminal of the hall through the server.
  await Promise.all(['queue-ticket', 'window', 'call-screen'].map((mode) => until(
    async () => (await api(term[mode], '/api/hall'))?.version === 1,
    { what: `the hall set-up on the ${mode} terminal`, timeoutMs: 30000 },
  )))

  // 2. Two residents without a card take ordinary tickets in A first.
  const first = await api(term['queue-ticket'], '/api/tickets', { method: 'POST', body: { category: 'A' } })
  const second = await api(term['queue-ticket'], '/api/tickets', { method: 'POST', body: { category: 'A' } })
  assert.deepEqual([first.priority, second.priority], ['normal', 'normal'])
  assert.deepEqual([first.number, second.number], ['A001', 'A002'])

  // 3. The elderly resident reads the card at the queue machine and takes a ticket in A.
  const queue = await browser.newPage()
  await queue.goto(`${term['queue-ticket']}/`)
  await testid(queue, 'mode-queue-ticket').waitFor({ timeout: 15000 })
  await testid(queue, 'identify').first().click()
  await testid(queue, 'identity-card').waitFor({ timeout: 20000 })
  assert.equal(await testid(queue, 'identify-error').count(), 0)
  await testid(queue, 'priority-elderly').waitFor()
  assert.equal((await testid(queue, 'identity-name').innerText()).trim(), '测*甲')
  assert.match(await testid(queue, 'identity-card').innerText(), new RegExp(`${expectedAge}\\s*岁`))
  await shot(queue, 'queue-ticket-identified')
  await testid(queue, 'category-A').click()
  await testid(queue, 'ticket-result').waitFor({ timeout: 15000 })
  const elderlyNumber = (await testid(queue, 'issued-number').innerText()).trim()
  assert.equal(elderlyNumber, 'A003')
  assert.equal((await testid(queue, 'issued-priority').innerText()).trim(), '老年人优先')
  // Two came earlier, but a priority ticket is called before them: nobody is ahead.
  assert.equal((await testid(queue, 'people-ahead').innerText()).trim(), '前面没有人等候')
  await testid(queue, 'print-ok').waitFor()
  assert.ok(!(await queue.content()).includes(CARD_NAME), 'the full name reached the queue machine screen')
  await shot(queue, 'queue-ticket-elderly')

  // 4. The window terminal learns the three tickets through sync (the list is a staff route).
  const clerkToken = await login(term.window, STAFF.id, CLERK.password)
  await assert.rejects(api(term.window, '/api/tickets'), (e) => e.status === 401 && e.code === 'staff.login_required')
  const tickets = await until(async () => {
    const list = await api(term.window, '/api/tickets', { token: clerkToken })
    return ['A001', 'A002', 'A003'].every((n) => list.some((tk) => tk.number === n)) && list
  }, { what: 'the three tickets on the window terminal', timeoutMs: 30000 })
  const elderly = tickets.find((tk) => tk.number === elderlyNumber)
  assert.equal(elderly.priority, 'elderly')
  assert.equal(elderly.applicant?.age, expectedAge)
  assert.equal(elderly.applicant?.name, '测*甲')
  assert.match(elderly.applicant?.id_number ?? '', MASKED_ID)

  const desk = await browser.newPage()
  await desk.goto(`${term.window}/`)
  await testid(desk, 'mode-window').waitFor({ timeout: 15000 })
  await uiLogin(desk, term.window, STAFF.id, CLERK.password)
  assert.match(await testid(desk, 'staff-badge-name').innerText(), new RegExp(STAFF.name))
  await testid(desk, 'window-closed').waitFor({ timeout: 15000 })
  for (const n of ['A001', 'A002', 'A003']) await testid(desk, `ticket-${n}`).waitFor({ timeout: 20000 })
  await testid(desk, 'window-open').click()
  await testid(desk, 'action-callNext').click()
  await testid(desk, 'current-number').waitFor({ timeout: 15000 })
  assert.equal(await testid(desk, 'action-error').count(), 0)
  // Priority before issue time: the elderly ticket goes before the two issued earlier.
  assert.equal((await testid(desk, 'current-number').innerText()).trim(), elderlyNumber)
  assert.equal((await testid(desk, 'current-priority').innerText()).trim(), '老年人优先')
  assert.equal((await testid(desk, 'current-applicant').innerText()).trim(), '测*甲')
  assert.match((await testid(desk, 'current-id-number').innerText()).trim(), MASKED_ID)
  await testid(desk, 'ticket-A003').waitFor({ state: 'detached', timeout: 15000 })
  assert.equal((await testid(desk, 'kpi-waiting').innerText()).trim(), '2')
  assert.ok(!(await desk.content()).includes(CARD_NAME), 'the full name reached the window screen')
  await shot(desk, 'queue-window-called')

  // The clerk opens the full applicant once (audited by the terminal): full name and full ID number.
  await testid(desk, 'show-applicant').click()
  await testid(desk, 'applicant-name').waitFor({ timeout: 15000 })
  assert.equal(await testid(desk, 'applicant-error').count(), 0)
  assert.equal((await testid(desk, 'applicant-name').innerText()).trim(), CARD_NAME)
  assert.equal((await testid(desk, 'applicant-id-number').innerText()).trim(), FULL_ID_NUMBER)
  await shot(desk, 'queue-window-applicant')
  await testid(desk, 'hide-applicant').click()
  await testid(desk, 'applicant-name').waitFor({ state: 'detached' })
  assert.ok(!(await desk.content()).includes(CARD_NAME), 'the full name stayed on the window screen')

  const ws = await api(term.window, '/api/window', { token: clerkToken })
  assert.equal(ws.window, 5)
  assert.equal(ws.session?.staff_id, STAFF.id)
  assert.equal(ws.current?.number, elderlyNumber)
  assert.deepEqual(ws.categories, ['A', 'C'])

  // 5. The call screen shows the call at window 5 and two still waiting in A.
  const screen = await browser.newPage()
  await screen.goto(`${term['call-screen']}/`)
  await testid(screen, 'mode-call-screen').waitFor({ timeout: 15000 })
  await screen.locator('[data-testid="call-window-5"] [data-testid="call-current"]', { hasText: elderlyNumber })
    .waitFor({ timeout: 20000 })
  await screen.locator('[data-testid="now-calling"]', { hasText: elderlyNumber }).waitFor()
  await screen.locator('[data-testid="waiting-A"] .cs-cat-count', { hasText: /^\s*2\s*人\s*$/ }).waitFor({ timeout: 20000 })
  await testid(screen, `recent-${elderlyNumber}`).waitFor()
  assert.ok(!(await screen.content()).includes('测'), 'personal data reached the call screen')
  await shot(screen, 'queue-call-screen')

  // The plain TV page on the call screen's LAN listener shows the same; that listener serves nothing else.
  const tvBase = `http://127.0.0.1:${tvPort}`
  const tv = await browser.newPage()
  await tv.goto(`${tvBase}/tv`)
  await tv.locator('[data-testid="call-window-5"] [data-testid="call-current"]', { hasText: elderlyNumber })
    .waitFor({ timeout: 20000 })
  await tv.locator('[data-testid="now-calling"]', { hasText: elderlyNumber }).waitFor()
  await testid(tv, 'waiting-A').waitFor()
  assert.match(await testid(tv, 'waiting-A').innerText(), /2/)
  await shot(tv, 'queue-tv')
  const tvData = await (await fetch(`${tvBase}/tv/calls.json`)).json()
  assert.equal(tvData.windows.find((w) => w.window === 5)?.current?.number, elderlyNumber)
  assert.equal((await fetch(`${tvBase}/api/status`)).status, 404)
  assert.equal((await fetch(`${tvBase}/api/tickets`)).status, 404)

  // 6. The admin console's figures: one window open, two waiting, window 5 and its clerk with one call. A reload
  // forgets the session (memory only): log in again.
  await admin.reload()
  await uiLogin(admin, term.admin, ADMIN.id, ADMIN.password)
  await testid(admin, 'hall-kpi').waitFor({ timeout: 15000 })
  await until(async () => (await testid(admin, 'kpi-waiting').innerText()).trim() === '2'
    && (await testid(admin, 'kpi-windows-open').innerText()).trim() === '1'
    && (await testid(admin, 'kpi-window-5').count()) === 1
    && (await testid(admin, `kpi-staff-${STAFF.id}`).count()) === 1,
  { what: 'the hall KPIs on the admin console', timeoutMs: 30000 })
  const called = admin.locator(`[data-testid="kpi-window-5"] td`).first()
  assert.equal((await called.innerText()).trim(), '1')
  await testid(admin, 'kpi-by-category').locator('svg, [role="img"]').first().waitFor()
  await testid(admin, 'hall-kpi').scrollIntoViewIfNeeded()
  await shot(admin, 'queue-admin-kpi')
  t.diagnostic(`elderly ticket ${elderlyNumber} called at window 5 before A001 and A002`)
  await Promise.all([admin.close(), queue.close(), desk.close(), screen.close(), tv.close()])
})

// The contract's details the scenario above does not depend on, each its own test so one does not hide another.

test('the hall set-up carries its import time as RFC 3339 `updated_at`, and the admin console shows it', async () => {
  const setup = await api(hall.terminals.admin, '/api/hall')
  assert.equal(setup?.version, 1)
  assert.equal(typeof setup.updated_at, 'string', `GET /api/hall answered ${JSON.stringify(Object.keys(setup))}`)
  assert.ok(!Number.isNaN(Date.parse(setup.updated_at)), setup.updated_at)
  const admin = await browser.newPage()
  await admin.goto(`${hall.terminals.admin}/`)
  await uiLogin(admin, hall.terminals.admin, ADMIN.id, ADMIN.password)
  await testid(admin, 'hall-meta').waitFor({ timeout: 15000 })
  assert.match(await testid(admin, 'hall-meta').innerText(), /\d{1,2}:\d{2}/)
  await admin.close()
})

test('a ticket\'s applicant ID number is masked as the contract says: first four and last four kept', async () => {
  const token = await login(hall.terminals.window, STAFF.id, CLERK.password)
  const tickets = await api(hall.terminals.window, '/api/tickets', { token })
  const elderly = tickets.find((tk) => tk.priority === 'elderly')
  assert.ok(elderly, 'no elderly ticket')
  assert.match(elderly.applicant.id_number, /^\d{4}\*{10}\d{3}[\dX]$/)
})

test('the window\'s full applicant needs view-personal-data: the anonymous caller gets 401', async () => {
  await assert.rejects(
    api(hall.terminals.window, '/api/window/applicant'),
    (e) => e.status === 401 && e.code === 'staff.login_required',
  )
  const token = await login(hall.terminals.window, STAFF.id, CLERK.password)
  const applicant = await api(hall.terminals.window, '/api/window/applicant', { token })
  assert.equal(applicant.name, CARD_NAME)
  assert.equal(applicant.id_number, FULL_ID_NUMBER)
})

// Last: stop every process of the hall so its log files are complete, then look for what must never be logged.
test('no log of the hall holds the full ID number, the full name, a staff password or a session token', async () => {
  await browser.close()
  browser = null
  reader?.stdin.end()
  await hall.stop()
  assert.ok(seenTokens.size >= 2, `only ${seenTokens.size} session tokens were seen`)
  const secrets = [
    { label: 'the resident\'s full ID number', value: FULL_ID_NUMBER },
    { label: 'the resident\'s full name', value: CARD_NAME },
    ...[...new Set([ADMIN.password, ...ACCOUNTS.map((s) => s.password)])].map((value, i) => ({ label: `staff password #${i + 1}`, value })),
    ...[...seenTokens].map((value, i) => ({ label: `session token #${i + 1}`, value })),
  ]
  assert.deepEqual(secretsInLogs(hall, secrets), [])
})
