// A hall for browser tests: the real binaries (banshi-server, the ESC/POS printer simulator and one
// `banshi serve` per terminal) on free loopback ports, with profiles made from kiosk-profiles/examples by
// pointing them at this hall's server and printer. Before the terminals start, the staff accounts are made on the
// admin terminal's data folder with the admin CLI (as an installer would); they reach the other terminals through
// the server. Every process's output goes to a file under `<hall dir>/logs` so a test can read what was logged.

import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const bin = (env, name) => process.env[env] ?? join(root, 'target', 'debug', name)

/** The first fleet admin (`staff bootstrap`): imports the hall, reads the KPIs, manages staff. */
export const ADMIN = { id: 'admin', name: '管理员', password: 'Admin-2026!' }
/** The password of every other account (permanent: no change at first login). */
export const STAFF_PASSWORD = 'Clerk-2026!'

/** The [[staff]] of the demo hall file: id, name, windows. A plain reader for that file's simple layout. */
function hallFileStaff() {
  const text = readFileSync(join(root, 'kiosk-profiles', 'halls', 'hk-longhua.toml'), 'utf8')
  return text.split(/^\[\[/m).filter((block) => block.startsWith('staff]]')).map((block) => ({
    id: /^id\s*=\s*"([^"]+)"/m.exec(block)[1],
    name: /^name\s*=\s*"([^"]+)"/m.exec(block)[1],
    windows: (/^windows\s*=\s*\[([^\]]*)\]/m.exec(block)?.[1] ?? '').split(',').map((n) => n.trim()).filter(Boolean).map(Number),
  }))
}

/** Clerks from the hall file (s001 王芳 at window 5, the window profile's window, …) and one supervisor. */
export const CLERKS = hallFileStaff().map((s) => ({ ...s, role: 'clerk', password: STAFF_PASSWORD }))
export const SUPERVISOR = { id: 'sup01', name: '值班主管', windows: [], role: 'supervisor', password: STAFF_PASSWORD }
export const STAFF = [...CLERKS, SUPERVISOR]
/** The clerk of window 5. */
export const CLERK = CLERKS.find((s) => s.windows.includes(5))

/** Every session token a test saw (API logins, and UI logins on watched pages): none may reach a log. */
export const seenTokens = new Set()

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

/**
 * A terminal API call: the parsed JSON answer, or an error with the status and the API's `{code, message}` text
 * (`err.status`, `err.code`). `token` (from `login`) goes as `Authorization: Bearer`: staff routes need it.
 */
export async function api(base, path, { method = 'GET', body, contentType = 'application/json', token } = {}) {
  const headers = body === undefined ? {} : { 'content-type': contentType }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) {
    const err = new Error(`${method} ${path}: HTTP ${res.status} ${text}`)
    err.status = res.status
    try { err.code = JSON.parse(text).code } catch { /* not a {code, message} body */ }
    throw err
  }
  return text ? JSON.parse(text) : null
}

/**
 * Log in on a terminal through the API and return the session token. Accounts are made on the admin terminal and
 * reach the others through the server, so `staff.bad_credentials` is retried for a while: an account the terminal
 * does not know yet counts no failure (the 5-failure lock needs a known account and a wrong password).
 */
export async function login(base, staffId, password, { timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const view = await api(base, '/api/login', { method: 'POST', body: { staff_id: staffId, password } })
      seenTokens.add(view.token)
      return view.token
    } catch (e) {
      // Anything else (locked, disabled, expired, unreachable) will not get better by waiting.
      if (e.code !== 'staff.bad_credentials' || Date.now() >= deadline) {
        throw new Error(`login of ${staffId} on ${base}: ${e.message}`)
      }
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Remember the tokens of UI logins on `page` (answers of /api/login*), for the log check. */
export function watchTokens(page) {
  page.on('response', async (res) => {
    if (!/\/api\/login(\/card)?$/.test(new URL(res.url()).pathname) || !res.ok()) return
    try {
      const body = await res.json()
      if (body?.token) seenTokens.add(body.token)
    } catch { /* the page went away first */ }
  })
}

/**
 * Log in on a staff screen. Waits (API login) until the terminal knows the account first, so the one UI login
 * does not race the accounts' sync.
 */
export async function uiLogin(page, base, staffId, password) {
  watchTokens(page)
  await login(base, staffId, password)
  const form = page.locator('[data-testid="staff-login"]')
  await form.waitFor({ timeout: 15000 })
  await page.locator('[data-testid="login-staff-id"]').fill(staffId)
  await page.locator('[data-testid="login-password"]').fill(password)
  await page.locator('[data-testid="login-submit"]').click()
  await form.waitFor({ state: 'detached', timeout: 15000 })
}

/** Every log file of the hall (one per process start and per CLI run): name and text. */
export function hallLogs(hall) {
  return readdirSync(hall.logDir).map((name) => ({ name, text: readFileSync(join(hall.logDir, name), 'utf8') }))
}

/**
 * Which of `secrets` ({label, value}) occur in which log file. Reports labels only, never the values: the report
 * itself ends up in the test output.
 */
export function secretsInLogs(hall, secrets) {
  const found = []
  for (const { name, text } of hallLogs(hall)) {
    for (const { label, value } of secrets) if (value && text.includes(value)) found.push(`${label} in ${name}`)
  }
  return found
}

export class Hall {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'banshi-e2e-'))
    this.logDir = join(this.dir, 'logs')
    mkdirSync(this.logDir)
    this.logCount = 0
    this.children = []
    this.terminals = {}
  }

  spawn(name, cmd, args, env = {}, { stdin = 'ignore' } = {}) {
    const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, BANSHI_LOG: 'warn', ...env } })
    const log = []
    const file = createWriteStream(this.logFile(name))
    child.stdout.on('data', (d) => { log.push(d.toString()); file.write(d) })
    child.stderr.on('data', (d) => { log.push(d.toString()); file.write(d) })
    child.on('close', () => file.end())
    child.on('exit', (code, signal) => {
      if (!this.stopping && !child.expectedExit) console.error(`${name} exited (${code ?? signal}):\n${log.join('')}`)
    })
    this.children.push(child)
    return child
  }

  /** A new log file's path for a process called `name`. */
  logFile(name) {
    this.logCount += 1
    return join(this.logDir, `${String(this.logCount).padStart(3, '0')}-${name}.log`)
  }

  /**
   * Run the terminal binary's admin CLI on the admin terminal's profile and data folder; its output goes to a log
   * file. Throws with that output when it fails.
   */
  adminCli(args, env) {
    const res = spawnSync(bin('BANSHI_BIN', 'banshi'), [
      '--profile', join(this.dir, 'admin.toml'), ...args, '--data', join(this.dir, 'admin'),
    ], {
      encoding: 'utf8',
      timeout: 120000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BANSHI_LOG: 'warn', BANSHI_ENROLLMENT_TOKEN: this.enrollmentToken, ...env },
    })
    writeFileSync(this.logFile(`cli-${args.slice(0, 2).join('-')}`), `${res.stdout ?? ''}${res.stderr ?? ''}`)
    if (res.status !== 0) {
      throw new Error(`banshi ${args.slice(0, 2).join(' ')} failed (${res.status ?? res.signal ?? res.error}):\n${res.stdout}${res.stderr}`)
    }
  }

  /**
   * Make the hall's admin console a fleet admin terminal (`banshi-server terminal fleet-admin`), as an installer
   * would: retried until the console has enrolled, which it does on its first sync. The grant reaches the console
   * with its next sync, so a refusal just after this is still possible and worth retrying.
   */
  async grantFleetAdmin() {
    const adminId = /^\[terminal\][^[]*?^id\s*=\s*"([^"]+)"/m.exec(readFileSync(join(this.dir, 'admin.toml'), 'utf8'))[1]
    await until(() => {
      try {
        execFileSync(bin('BANSHI_SERVER_BIN', 'banshi-server'), [
          'terminal', 'fleet-admin', adminId, '--db', `sqlite:${join(this.dir, 'server.sqlite')}`,
        ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        return true
      } catch {
        return false
      }
    }, { what: 'admin console made fleet admin terminal', timeoutMs: 30000, intervalMs: 500 })
  }

  /** The fleet admin, then every clerk of the hall file and a supervisor, each with a permanent password. */
  createAccounts() {
    this.adminCli(['staff', 'bootstrap', '--id', ADMIN.id, '--name', ADMIN.name], { BANSHI_NEW_PASSWORD: ADMIN.password })
    for (const s of STAFF) {
      this.adminCli([
        'staff', 'add', '--as', ADMIN.id, '--id', s.id, '--name', s.name, '--role', s.role,
        ...s.windows.flatMap((n) => ['--window', String(n)]), '--permanent',
      ], { BANSHI_STAFF_PASSWORD: ADMIN.password, BANSHI_NEW_PASSWORD: s.password })
    }
  }

  /**
   * Write `<hall dir>/<name>.toml` (name: the mode unless given) from the mode's example profile, pointed at this
   * hall's server and printer.
   */
  writeProfile(mode, adjustProfile, name = mode) {
    const source = readFileSync(join(root, 'kiosk-profiles', 'examples', `${mode}.toml`), 'utf8')
    const profile = adjustProfile(mode, source
      .replaceAll('http://127.0.0.1:8300', this.serverUrl)
      .replaceAll('127.0.0.1:9100', `127.0.0.1:${this.printerPort}`))
    const profilePath = join(this.dir, `${name}.toml`)
    writeFileSync(profilePath, profile)
    return profilePath
  }

  /**
   * One more terminal of `mode` after `start`, e.g. a second self-service kiosk: its own profile `<name>.toml` with
   * the [terminal] id and label given, its own data folder, reachable as `hall.terminals[name]`.
   */
  async addTerminal(name, mode, { id, label, adjustProfile = (_mode, toml) => toml }) {
    const profilePath = this.writeProfile(mode, (m, toml) => adjustProfile(m, toml
      .replace(/(^\[terminal\][^[]*?^id\s*=\s*)"[^"]*"/m, `$1"${id}"`)
      .replace(/(^\[terminal\][^[]*?^label\s*=\s*)"[^"]*"/m, `$1"${label}"`)), name)
    const port = await freePort()
    this.spawn(name, bin('BANSHI_BIN', 'banshi'), [
      'serve', '--profile', profilePath, '--listen', `127.0.0.1:${port}`, '--data', join(this.dir, name),
    ], { BANSHI_ENROLLMENT_TOKEN: this.enrollmentToken })
    this.terminals[name] = `http://127.0.0.1:${port}`
    await waitForHttp(`${this.terminals[name]}/api/status`)
    return this.terminals[name]
  }

  /**
   * Start the server, the printer simulator, make the staff accounts (on the admin terminal's data folder, whether
   * or not an admin terminal runs in this hall) and start one terminal per mode. `adjustProfile(mode, toml)` may rewrite
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
    this.writeProfile('admin', adjustProfile)
    this.createAccounts()
    for (const mode of modes) {
      const profilePath = this.writeProfile(mode, adjustProfile)
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
