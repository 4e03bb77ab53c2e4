// Browser E2E of the device layer: a web app from an allowed origin reads an ID card through the JS SDK (and
// one from another origin is refused), and devices unplugged and plugged back in while the terminal runs show
// in its UI and recover by themselves. The reader is the wire-level simulator on a pty, the printer the ESC/POS
// simulator on TCP, the page `ui/sdk/example.html` served from two origins.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hall, bin, freePort } from './hall.mjs'
import { launch, shot } from './browser.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const examplePage = readFileSync(join(root, 'ui', 'sdk', 'example.html'))

let hall
let browser
const readers = {}
let allowedOrigin
let otherOrigin
const servers = []

/** A web server for the SDK example page: stands in for an existing government web app. */
async function serveExample() {
  const port = await freePort()
  const server = createServer((req, res) => {
    if (req.url.startsWith('/example.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(examplePage)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${port}`
}

/** A command for a terminal's reader simulator: `unplug`, `replug`, `place …` */
function readerCommand(mode, line) {
  readers[mode].stdin.write(`${line}\n`)
}

before(async () => {
  allowedOrigin = await serveExample()
  otherOrigin = await serveExample()
  hall = new Hall()
  const modes = ['office', 'queue-ticket']
  // Each terminal has its own reader (a serial port is opened by one process at a time), with a resident born
  // in 1956 on it: 70 years old in the hall's 2026.
  for (const mode of modes) {
    readers[mode] = hall.spawn(`idcard-sim-${mode}`, bin('BANSHI_IDCARD_SIM_BIN', 'banshi-idcard-sim'), [
      '--link', join(hall.dir, `idcard-${mode}`), '--card', 'resident', '--born', '1956-03-01',
    ], {}, { stdin: 'pipe' })
  }
  await hall.start(modes, {
    adjustProfile: (mode, toml) => toml
      .replace('port = "/dev/ttyUSB0"', `port = "${join(hall.dir, `idcard-${mode}`)}"`)
      .replace(/allowed_origins = \[.*\]/, `allowed_origins = ["${allowedOrigin}"]`),
  })
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await hall?.stop()
  for (const server of servers) server.close()
})

test('a page from an allowed origin reads an ID card through the SDK; a page from another origin is refused', async () => {
  const api = hall.terminals.office
  const page = await browser.newPage()
  await page.goto(`${allowedOrigin}/example.html?api=${encodeURIComponent(api)}`)
  await page.locator('#connect').click()
  await page.locator('#result', { hasText: '已连接' }).waitFor({ timeout: 15000 })
  await page.locator('#read-card').click()
  await page.locator('#result', { hasText: '读卡成功' }).waitFor({ timeout: 20000 })
  assert.equal(await page.locator('dd[data-field="姓名"]').innerText(), '测试甲')
  assert.equal(await page.locator('dd[data-field="出生"]').innerText(), '1956-03-01')
  // The example masks the number the way a list would; the SDK handed over the whole card.
  assert.match(await page.locator('dd[data-field="证件号码"]').innerText(), /^\d{4}\*+\d{3}[\dX]$/)
  await shot(page, 'sdk-example-card-read')

  const stranger = await browser.newPage()
  await stranger.goto(`${otherOrigin}/example.html?api=${encodeURIComponent(api)}`)
  await stranger.locator('#connect').click()
  await stranger.locator('#result', { hasText: 'device_api.origin_refused' }).waitFor({ timeout: 15000 })
  assert.equal(await stranger.locator('#read-card').isDisabled(), true)
  await shot(stranger, 'sdk-example-origin-refused')
  await Promise.all([page.close(), stranger.close()])
})

test('unplugging and re-plugging the reader and the printer shows in the UI and recovers by itself', async (t) => {
  const page = await browser.newPage()
  await page.goto(`${hall.terminals['queue-ticket']}/`)
  await page.locator('[data-testid="mode-queue-ticket"]').waitFor({ timeout: 15000 })
  const fault = (cls, status) => page.locator(`[data-testid="fault-${cls}"][data-status="${status}"]`)

  readerCommand('queue-ticket', 'unplug')
  await fault('id_reader', 'offline').waitFor({ timeout: 15000 })
  await hall.unplugPrinter()
  await fault('ticket_printer', 'offline').waitFor({ timeout: 15000 })
  await shot(page, 'devices-unplugged')

  readerCommand('queue-ticket', 'replug')
  await hall.startPrinter()
  await page.locator('[data-testid="fault-id_reader"]').waitFor({ state: 'detached', timeout: 15000 })
  await page.locator('[data-testid="fault-ticket_printer"]').waitFor({ state: 'detached', timeout: 15000 })

  // Paper out reaches the screen within the health interval; the figure goes to docs/benchmarks.md.
  const started = Date.now()
  hall.printerCommand('paper out')
  await fault('ticket_printer', 'paper_out').waitFor({ timeout: 15000 })
  t.diagnostic(`paper out shown after ${Date.now() - started} ms`)
  await shot(page, 'queue-ticket-paper-out')
  hall.printerCommand('paper ok')
  await page.locator('[data-testid="fault-ticket_printer"]').waitFor({ state: 'detached', timeout: 15000 })
  await page.close()
})
