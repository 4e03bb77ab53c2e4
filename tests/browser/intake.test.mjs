// Browser E2E of a window intake through the clerk's workspace (brief §3.2): the clerk of window 5 logs in, reads
// the applicant's ID card (wire-level simulator on a pty), starts 营业执照变更登记 found by its pinyin initials,
// ticks the situation (name change, sole proprietorship, in person), fills the form, takes the papers against
// their review points and scans one with the document camera (the synthetic 高拍仪). One paper is missing, so the
// case ends in 补齐补正: the 补齐补正告知书 is printed on the A4 printer (the IPP simulator keeps the PDF) and the
// progress lookup shows the missing material and the deadline. The applicant then rates on the five-key evaluator
// (simulator on a pty). Every step is photographed.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLERK, Hall, api, secretsInLogs, seenTokens, uiLogin, until } from './hall.mjs'
import { publishDemoCatalogue, spooledPdfs, startA4, startEvaluatorSim, startIdCardSim, withA4 } from './applications.mjs'
import { launch, shot } from './browser.mjs'

/** 营业执照变更登记 in the demo catalogue. */
const CHANGE = { code: '11460106MB1530891H444040010000100', pinyin: 'yyzzbg', name: '营业执照变更登记' }
/** Taken at the desk; the name declaration is the paper the applicant forgot. */
const TAKEN = ['application_form', 'business_licence', 'investor_decision']
const MISSING = { id: 'name_declaration', name: '企业名称自主申报告知书' }
const DEADLINE = '2026-12-15'

let hall
let browser
let reader
let keypad
let a4

function windowDevices(mode, toml) {
  if (mode !== 'window') return toml
  return withA4(toml, a4.url)
    .replace('port = "/dev/ttyUSB0"', `port = "${reader.link}"`)
    .replace('port = "/dev/ttyUSB1"', `port = "${keypad.link}"`)
    .replace(/(\[devices\.document_camera\][^[]*?device\s*=\s*)"[^"]*"/, '$1"synthetic"')
}

before(async () => {
  hall = new Hall()
  reader = startIdCardSim(hall, 'idcard-window')
  keypad = startEvaluatorSim(hall, 'evaluator-window')
  a4 = await startA4(hall)
  await hall.start(['admin', 'window'], { adjustProfile: windowDevices })
  await publishDemoCatalogue(hall, ['window'])
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await hall?.stop()
})

const tid = (page, id) => page.locator(`[data-testid="${id}"]`)

test('a window intake ends in 补齐补正 with the correction notice printed, then the applicant rates on the evaluator', async () => {
  const window = hall.terminals.window
  const page = await browser.newPage()
  await page.goto(`${window}/`)
  await uiLogin(page, window, CLERK.id, CLERK.password)
  await tid(page, 'intake').waitFor({ timeout: 15000 })
  await shot(page, 'intake-01-workspace')

  // Read the card: the masked person, no case yet.
  await tid(page, 'intake-read-card').click()
  await tid(page, 'intake-applicant').waitFor({ timeout: 20000 })
  assert.match(await tid(page, 'intake-applicant').innerText(), /\*/)
  assert.doesNotMatch(await tid(page, 'intake-applicant').innerText(), /\d{17}[\dX]/)
  await shot(page, 'intake-02-card-read')

  // A new case for the item found by its pinyin initials.
  await tid(page, 'new-case-search').fill(CHANGE.pinyin)
  await tid(page, `new-case-item-${CHANGE.code}`).click()
  await tid(page, 'case-desk').waitFor({ timeout: 20000 })
  assert.equal(await tid(page, 'case-status').getAttribute('data-status'), 'draft')
  const number = (await tid(page, 'case-number').innerText()).trim()
  assert.match(number, /^HK-LONGHUA-CK-05-\d{8}-\d{4}$/)

  // The situation decides the checklist: a sole proprietorship brings the investor's decision, not a resolution.
  for (const [question, option] of [['change_type', 'name'], ['company_type', 'sole'], ['applicant', 'representative']]) {
    await tid(page, `situation-${question}-${option}`).click()
    await until(async () => (await tid(page, `situation-${question}-${option}`).getAttribute('aria-checked')) === 'true', {
      what: `${question} = ${option} ticked`,
    })
  }
  await tid(page, `checklist-${MISSING.id}`).waitFor()
  await tid(page, 'checklist-investor_decision').waitFor()
  assert.equal(await tid(page, 'checklist-shareholders_resolution').count(), 0)
  await shot(page, 'intake-03-situation')

  // The form; the applicant's own fields come from the card.
  for (const [field, value] of [
    ['applicant_phone', '13800138000'],
    ['company_name', '海口市龙华区测试商贸行'],
    ['credit_code', '92460100MA5T0000XY'],
    ['legal_representative', '测试投资人'],
  ]) {
    await tid(page, `case-field-${field}`).fill(value)
  }
  await tid(page, 'case-save').click()
  await tid(page, 'case-saved').waitFor({ timeout: 10000 })
  await shot(page, 'intake-04-form-saved')

  // The papers against their review points, and one scanned with the document camera.
  for (const material of TAKEN) {
    await tid(page, `paper-${material}`).click()
    const points = await page.locator(`[data-testid^="review-${material}-"]`).count()
    assert.ok(points > 0, `${material} has review points`)
    for (let i = 0; i < points; i++) await tid(page, `review-${material}-${i}`).click()
    await until(async () => (await tid(page, `checklist-${material}`).getAttribute('data-collected')) === 'true', {
      what: `${material} collected`, timeoutMs: 10000,
    })
  }
  await tid(page, 'scan-application_form').click()
  await until(async () => /1/.test(await tid(page, 'pages-application_form').innerText()), {
    what: 'a scanned page', timeoutMs: 30000,
  })
  assert.equal(await tid(page, `checklist-${MISSING.id}`).getAttribute('data-collected'), 'false')
  assert.equal(await tid(page, 'case-error').count(), 0)
  await shot(page, 'intake-05-checklist')

  // 补齐补正: the missing paper is preselected; reason and deadline are the clerk's.
  await tid(page, 'decide-request_correction').click()
  await tid(page, 'decision-dialog').waitFor()
  assert.equal(await tid(page, `decision-material-${MISSING.id}`).isChecked(), true)
  for (const material of TAKEN) assert.equal(await tid(page, `decision-material-${material}`).isChecked(), false)
  await tid(page, 'decision-reason').fill('缺少企业名称自主申报告知书，请补齐后再来办理')
  await tid(page, 'decision-date').fill(DEADLINE)
  await shot(page, 'intake-06-correction-dialog')
  await tid(page, 'decision-confirm').click()
  await page.locator('[data-testid="case-status"][data-status="correction_requested"]').waitFor({ timeout: 20000 })
  await page.locator('[data-testid="notice-correction"][data-printed="true"]').waitFor({ timeout: 20000 })

  // The 补齐补正告知书 reached the A4 printer as a PDF.
  const pdfs = await until(() => {
    const found = spooledPdfs(a4.spool)
    return found.length > 0 ? found : null
  }, { what: 'the correction notice in the printer spool', timeoutMs: 20000 })
  assert.ok(readFileSync(join(a4.spool, pdfs[0])).length > 1000)
  await shot(page, 'intake-07-correction-notice')

  // What the applicant's QR and the kiosk's lookup show.
  const progress = await api(window, `/api/progress/${encodeURIComponent(number)}`)
  assert.equal(progress.status, 'correction_requested')
  assert.deepEqual(progress.missing_materials, [MISSING.name])
  assert.equal(progress.deadline, DEADLINE)

  // The applicant rates 满意 on the evaluator once its prompt is lit.
  await tid(page, 'rate-evaluator').click()
  await tid(page, 'rating-waiting').waitFor()
  await shot(page, 'intake-08-evaluator-lit')
  await until(() => {
    keypad.sim.stdin.write('2\n')
    return /pressed 2/.test(keypad.output())
  }, { what: 'the evaluator key taken', timeoutMs: 20000, intervalMs: 500 })
  await page.locator('[data-testid="rating-done"][data-grade="satisfied"]').waitFor({ timeout: 20000 })
  await shot(page, 'intake-09-rated')

  // The case waits in the draft box for the applicant's return, also after the clerk logs in again (the session
  // is memory only: a reload asks for the login). Online, the server has given it its official number by now.
  const official = await until(async () => {
    const shown = (await tid(page, 'case-number').innerText()).trim()
    return shown !== number ? shown : null
  }, { what: 'the official number on the desk', timeoutMs: 30000 })
  assert.equal((await api(window, `/api/progress/${encodeURIComponent(official)}`)).provisional_number, number)
  await tid(page, `draft-case-${official}`).waitFor({ timeout: 20000 })
  await page.reload()
  await uiLogin(page, window, CLERK.id, CLERK.password)
  await tid(page, `draft-case-${official}`).waitFor({ timeout: 20000 })
  await shot(page, 'intake-10-draft-box')
  await page.close()

  assert.deepEqual(secretsInLogs(hall, [...seenTokens].map((value) => ({ label: 'a session token', value }))), [])
})

test('the applicant checks, signs and rates on the window’s customer screen, which then forgets them', async () => {
  const window = hall.terminals.window
  const desk = await browser.newPage()
  await desk.goto(`${window}/`)
  await uiLogin(desk, window, CLERK.id, CLERK.password)
  await tid(desk, 'intake').waitFor({ timeout: 15000 })
  // The second screen: the same terminal's /customer page, with nobody logged in.
  const screen = await browser.newPage()
  await screen.goto(`${window}/#/customer`)
  await tid(screen, 'cs-nameplate').waitFor({ timeout: 15000 })
  assert.match(await tid(screen, 'cs-window').innerText(), /5/)
  await shot(screen, 'customer-01-nameplate')

  // The applicant's card again (the reader hands a card out once per placement), and a new case.
  reader.sim.stdin.write('remove\nplace resident\n')
  await until(async () => {
    await tid(desk, 'intake-read-card').click()
    return (await tid(desk, 'intake-applicant').count()) > 0 ? true : null
  }, { what: 'the card read again', timeoutMs: 30000, intervalMs: 1500 })
  await tid(desk, 'new-case-search').fill(CHANGE.pinyin)
  await tid(desk, `new-case-item-${CHANGE.code}`).click()
  await tid(desk, 'case-desk').waitFor({ timeout: 20000 })
  const number = (await tid(desk, 'case-number').innerText()).trim()
  await tid(desk, 'case-field-applicant_phone').fill('13900139000')
  await tid(desk, 'case-save').click()
  await tid(desk, 'case-saved').waitFor({ timeout: 10000 })

  // The clerk puts it on the screen: the applicant sees what was typed, the ID number masked.
  await tid(desk, 'customer-confirm').click()
  await desk.locator('[data-testid="customer-state"][data-state="confirm"]').waitFor({ timeout: 10000 })
  await tid(screen, 'cs-confirm').waitFor({ timeout: 10000 })
  // Online, the server's official number soon replaces the provisional one on both screens.
  await until(async () => {
    const onDesk = (await tid(desk, 'case-number').innerText()).trim()
    return (await tid(screen, 'cs-case-number').innerText()).includes(onDesk) ? true : null
  }, { what: 'the same case number on the desk and the customer screen', timeoutMs: 20000 })
  const shown = await tid(screen, 'cs-fields').innerText()
  assert.match(shown, /13900139000/)
  assert.doesNotMatch(shown, /\d{17}[\dX]/)
  await shot(screen, 'customer-02-confirm')

  // "Something is wrong": the desk is told; shown again, then signed with a finger on the pad.
  await tid(screen, 'cs-dispute').click()
  await desk.locator('[data-testid="customer-state"][data-state="disputed"]').waitFor({ timeout: 10000 })
  await shot(desk, 'customer-03-desk-disputed')
  await tid(desk, 'customer-confirm').click()
  await tid(screen, 'cs-confirm').waitFor({ timeout: 10000 })
  await tid(screen, 'cs-sign').click()
  const pad = await tid(screen, 'sign-pad').boundingBox()
  await screen.mouse.move(pad.x + 40, pad.y + 60)
  await screen.mouse.down()
  for (const [dx, dy] of [[120, 90], [200, 40], [300, 110], [380, 70]]) await screen.mouse.move(pad.x + dx, pad.y + dy)
  await screen.mouse.up()
  await shot(screen, 'customer-04-signing')
  await tid(screen, 'cs-sign-submit').click()
  await screen.locator('[data-testid="cs-answered"][data-answer="signed"]').waitFor({ timeout: 10000 })
  await tid(desk, 'case-signed').waitFor({ timeout: 10000 })
  await desk.locator('[data-testid="customer-state"][data-state="signed"]').waitFor({ timeout: 10000 })
  await shot(desk, 'customer-05-desk-signed')

  // 不予受理, then the rating page on the screen: 非常满意.
  await tid(desk, 'decide-reject').click()
  await tid(desk, 'decision-dialog').waitFor()
  await tid(desk, 'decision-reason').fill('不属于本中心受理范围')
  await tid(desk, 'decision-confirm').click()
  await desk.locator('[data-testid="case-status"][data-status="rejected"]').waitFor({ timeout: 20000 })
  await tid(desk, 'rate-customer-screen').click()
  await tid(desk, 'customer-rating-state').waitFor({ timeout: 10000 })
  await tid(screen, 'cs-rate').waitFor({ timeout: 10000 })
  assert.equal(await screen.locator('[aria-checked="true"]').count(), 0, 'no grade preselected')
  await shot(screen, 'customer-06-rating')
  await tid(screen, 'grade-very_satisfied').click()
  await tid(screen, 'rate-submit').click()
  await screen.locator('[data-testid="cs-answered"][data-answer="rated"]').waitFor({ timeout: 10000 })
  await tid(desk, 'case-rated').waitFor({ timeout: 10000 })
  await shot(screen, 'customer-07-rated')

  // The clerk moves on: the screen shows the nameplate again, nothing of this applicant.
  await tid(desk, 'customer-clear').click()
  await tid(screen, 'cs-nameplate').waitFor({ timeout: 10000 })
  const official = (await tid(desk, 'case-number').innerText()).trim()
  const left = await tid(screen, 'customer-screen').innerText()
  for (const n of [number, official]) assert.ok(!left.includes(n), `${n} is gone from the customer screen`)
  await shot(screen, 'customer-08-nameplate-again')
  await screen.close()
  await desk.close()
})
