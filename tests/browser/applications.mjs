// What the application browser tests share: the A4 printer simulator (an IPP Everywhere printer that keeps what
// it prints), the demo catalogue published by the fleet admin, and the device simulators on ptys.

import { readFileSync, readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ADMIN, api, bin, login, until } from './hall.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DEMO_CATALOGUE = readFileSync(join(root, 'core', 'domain', 'catalogue', 'demo.toml'), 'utf8')

/** Start `banshi devices sim a4` in the hall; resolves with its IPP URL and the folder it keeps documents in. */
export async function startA4(hall) {
  const spool = join(hall.dir, 'a4-spool')
  const a4 = hall.spawn('a4-sim', bin('BANSHI_BIN', 'banshi'), ['devices', 'sim', 'a4', '--spool', spool])
  let output = ''
  a4.stdout.on('data', (d) => { output += d.toString() })
  const url = await until(() => /A4 printer at (\S+)/.exec(output)?.[1], {
    what: 'A4 printer simulator up', timeoutMs: 30000,
  })
  return { url, spool }
}

/** The PDFs the A4 simulator has printed so far. */
export function spooledPdfs(spool) {
  try {
    return readdirSync(spool).filter((f) => readFileSync(join(spool, f)).subarray(0, 4).toString() === '%PDF')
  } catch {
    return []
  }
}

/** Point the example profile's A4 printer at the simulator. */
export function withA4(toml, url) {
  return toml.replace('url = "ipp://127.0.0.1:631/printers/banshi-a4"', `url = "${url}"`)
}

/**
 * Publish the demo catalogue from the hall's admin console and wait until every terminal of `modes` has it. Only
 * the fleet's admin consoles may write the catalogue: the server makes the admin console one once it has
 * enrolled (on its first sync).
 */
export async function publishDemoCatalogue(hall, modes) {
  await hall.grantFleetAdmin()
  const token = await login(hall.terminals.admin, ADMIN.id, ADMIN.password)
  // The fleet-admin grant reaches the admin console with its next sync: a refusal before that is retried.
  await until(() => api(hall.terminals.admin, '/api/catalogue', {
    method: 'PUT', body: DEMO_CATALOGUE, contentType: 'text/plain; charset=utf-8', token,
  }), { what: 'demo catalogue published', timeoutMs: 30000, intervalMs: 500 })
  for (const mode of modes) {
    await until(async () => (await api(hall.terminals[mode], '/api/catalogue')).items?.length > 0, {
      what: `${mode} has the catalogue`, timeoutMs: 30000, intervalMs: 500,
    })
  }
}

/** The ID card simulator on a pty at `<hall>/<name>`, holding the `resident` card; commands go to its stdin. */
export function startIdCardSim(hall, name) {
  const link = join(hall.dir, name)
  const sim = hall.spawn(`idcard-sim-${name}`, bin('BANSHI_IDCARD_SIM_BIN', 'banshi-idcard-sim'), [
    '--link', link, '--card', 'resident',
  ], {}, { stdin: 'pipe' })
  return { sim, link }
}

/** The five-key evaluator simulator on a pty at `<hall>/<name>`; write `1`…`5` to its stdin to press a key. */
export function startEvaluatorSim(hall, name) {
  const link = join(hall.dir, name)
  const sim = hall.spawn(`evaluator-sim-${name}`, bin('BANSHI_BIN', 'banshi'), [
    'devices', 'sim', 'evaluator', '--link', link,
  ], {}, { stdin: 'pipe' })
  let output = ''
  sim.stdout.on('data', (d) => { output += d.toString() })
  return { sim, link, output: () => output }
}
