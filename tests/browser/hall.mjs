// A hall for browser tests: the real binaries (banshi-server, the ESC/POS printer simulator and one
// `banshi serve` per terminal) on free loopback ports, with profiles made from kiosk-profiles/examples by
// pointing them at this hall's server and printer.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const bin = (env, name) => process.env[env] ?? join(root, 'target', 'debug', name)

export const MODES = ['self-service', 'queue-ticket', 'call-screen', 'window', 'field', 'office', 'background', 'admin']

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function waitForHttp(url, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs
  let lastError
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url)
      if (res.ok) return
      lastError = new Error(`HTTP ${res.status}`)
    } catch (e) {
      lastError = e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} not ready: ${lastError}`)
}

async function waitForTcp(port, timeoutMs = 30000) {
  const { connect } = await import('node:net')
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`port ${port} not listening`)
}

/**
 * Poll `check` (sync or async) until it returns a truthy value, which is returned; a thrown error counts as
 * "not yet". On timeout the error names `what` and the last answer or error, so a failure says what was seen.
 */
export async function until(check, { what = 'condition', timeoutMs = 20000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      const value = await check()
      if (value) return value
      last = value
    } catch (e) {
      last = e
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** A terminal API call: the parsed JSON answer, or an error with the status and the API's `{code, message}` text. */
export async function api(base, path, { method = 'GET', body, contentType = 'application/json' } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

export class Hall {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'banshi-e2e-'))
    this.children = []
    this.terminals = {}
  }

  spawn(name, cmd, args, env = {}, { stdin = 'ignore' } = {}) {
    const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, BANSHI_LOG: 'warn', ...env } })
    const log = []
    child.stdout.on('data', (d) => log.push(d.toString()))
    child.stderr.on('data', (d) => log.push(d.toString()))
    child.on('exit', (code, signal) => {
      if (!this.stopping && !child.expectedExit) console.error(`${name} exited (${code ?? signal}):\n${log.join('')}`)
    })
    this.children.push(child)
    return child
  }

  /**
   * Start the server, the printer simulator and one terminal per mode. `adjustProfile(mode, toml)` may rewrite
   * a profile's text first (to point a device at a simulator, say).
   */
  async start(modes = MODES, { adjustProfile = (_mode, toml) => toml } = {}) {
    this.serverPort = await freePort()
    const printerPort = await freePort()
    this.serverUrl = `http://127.0.0.1:${this.serverPort}`
    this.printerOut = join(this.dir, 'printer')
    mkdirSync(this.printerOut)
    const db = `sqlite:${join(this.dir, 'server.sqlite')}`
    // As an installer would: one enrollment token (here good for every terminal of the hall) from the admin CLI.
    this.enrollmentToken = execFileSync(bin('BANSHI_SERVER_BIN', 'banshi-server'), [
      'token', 'create', '--db', db, '--hall', 'hk-longhua', '--uses', '50',
    ], { encoding: 'utf8' }).trim()
    this.startServerProcess()
    this.printerPort = printerPort
    this.startPrinter()
    await waitForHttp(`${this.serverUrl}/healthz`)
    await waitForTcp(printerPort)
    for (const mode of modes) {
      const source = readFileSync(join(root, 'kiosk-profiles', 'examples', `${mode}.toml`), 'utf8')
      const profile = adjustProfile(mode, source
        .replaceAll('http://127.0.0.1:8300', this.serverUrl)
        .replaceAll('127.0.0.1:9100', `127.0.0.1:${printerPort}`))
      const profilePath = join(this.dir, `${mode}.toml`)
      writeFileSync(profilePath, profile)
      const port = await freePort()
      this.spawn(mode, bin('BANSHI_BIN', 'banshi'), [
        'serve', '--profile', profilePath, '--listen', `127.0.0.1:${port}`, '--data', join(this.dir, mode),
      ], { BANSHI_ENROLLMENT_TOKEN: this.enrollmentToken })
      this.terminals[mode] = `http://127.0.0.1:${port}`
    }
    await Promise.all(Object.values(this.terminals).map((url) => waitForHttp(`${url}/api/status`)))
  }

  /** Start (or, after `unplugPrinter`, restart) the ESC/POS printer simulator; type commands with `printerCommand`. */
  startPrinter() {
    this.printer = this.spawn('printer', bin('BANSHI_PRINTER_SIM_BIN', 'banshi-escpos-sim'), [
      '--listen', `127.0.0.1:${this.printerPort}`, '--out', this.printerOut,
    ], {}, { stdin: 'pipe' })
    return waitForTcp(this.printerPort)
  }

  /** A command for the printer simulator's stdin: `paper out`, `paper ok`, `offline on` … */
  printerCommand(line) {
    this.printer.stdin.write(`${line}\n`)
  }

  /** Pull the printer's cable: the simulator stops listening. */
  async unplugPrinter() {
    const printer = this.printer
    printer.expectedExit = true
    const exited = new Promise((resolve) => printer.once('exit', resolve))
    printer.kill('SIGKILL')
    await exited
  }

  startServerProcess() {
    this.server = this.spawn('banshi-server', bin('BANSHI_SERVER_BIN', 'banshi-server'), [
      'serve', '--listen', `127.0.0.1:${this.serverPort}`, '--db', `sqlite:${join(this.dir, 'server.sqlite')}`,
    ])
  }

  /** Stop the sync server (the hall goes offline); its database stays for `startServer`. */
  async stopServer() {
    const server = this.server
    server.expectedExit = true
    if (server.exitCode !== null || server.signalCode !== null) return
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    // A graceful shutdown waits for open connections; a hall test must not wait on a stuck one.
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  /** Bring the sync server back on the same address and database. */
  async startServer() {
    this.startServerProcess()
    await waitForHttp(`${this.serverUrl}/healthz`)
  }

  /** Start (or restart) one `banshi serve` terminal for `mode` on its existing data folder. */
  async startTerminal(mode, port) {
    const child = this.spawn(mode, bin('BANSHI_BIN', 'banshi'), [
      'serve', '--profile', join(this.dir, `${mode}.toml`), '--listen', `127.0.0.1:${port}`, '--data', join(this.dir, mode),
    ], { BANSHI_ENROLLMENT_TOKEN: this.enrollmentToken })
    const url = `http://127.0.0.1:${port}`
    await waitForHttp(`${url}/api/status`)
    return { child, url }
  }

  printerJobText(n) {
    return readFileSync(join(this.printerOut, `job-${String(n).padStart(4, '0')}.txt`), 'utf8')
  }

  async stop() {
    this.stopping = true
    await Promise.all(this.children.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', resolve)
      child.kill('SIGTERM')
    })))
  }
}
