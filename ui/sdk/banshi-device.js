// Banshi device SDK: the terminal's devices (ID card reader, document camera, printers, QR scanner,
// evaluator, voice) for web pages, through the local device API at http://127.0.0.1:8400/api/device/v1.
//
// Plain ES module with no dependencies, so any government web app can load it as it is:
//   <script type="module">
//     import { BanshiDevices } from 'http://127.0.0.1:8400/sdk/banshi-device.js'
//     const devices = await BanshiDevices.connect()
//     const card = await devices.readIdCard()
//   </script>
// The page's origin must be in the terminal profile's `sdk.allowed_origins`. Reference: docs/device-api.md.

/** The terminal's local device service, unless told otherwise. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8400'

/** A refusal or failure from the device API: `code` is stable and translatable (docs/device-api.md). */
export class DeviceApiError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number} status HTTP status, 0 when the service could not be reached
   */
  constructor(code, message, status) {
    super(message)
    this.name = 'DeviceApiError'
    this.code = code
    this.status = status
  }
}

function baseFromScript() {
  // Loaded from the terminal itself? Then that is where the API is.
  try {
    const here = new URL(import.meta.url)
    if (here.pathname.endsWith('/sdk/banshi-device.js')) return here.origin
  } catch {
    // import.meta.url is always a URL in browsers; bundlers may rewrite it.
  }
  return DEFAULT_BASE_URL
}

export class BanshiDevices {
  /**
   * Open a session with the terminal's device service.
   * @param {{ baseUrl?: string, fetch?: typeof fetch, webSocket?: (url: string) => WebSocket }} [options]
   * @returns {Promise<BanshiDevices>}
   */
  static async connect(options = {}) {
    const devices = new BanshiDevices(options)
    await devices.openSession()
    return devices
  }

  /** @param {{ baseUrl?: string, fetch?: typeof fetch, webSocket?: (url: string) => WebSocket }} [options] */
  constructor(options = {}) {
    const base = options.baseUrl ?? baseFromScript()
    this.base = `${base.replace(/\/+$/, '')}/api/device/v1`
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.makeSocket = options.webSocket ?? ((url) => new WebSocket(url))
    /** @type {string | null} */
    this.token = null
  }

  /** Open (or reopen) the session; `connect()` does this for you. */
  async openSession() {
    const grant = await this.call('POST', 'session', undefined, { auth: false })
    this.token = grant.token
    return grant
  }

  /** End the session; later calls need `openSession()` again. */
  async close() {
    if (this.token) await this.call('DELETE', 'session', undefined, { retry: false }).catch(() => {})
    this.token = null
  }

  /** Every configured device with its status: ok, degraded, offline, paper_low, paper_out, unknown. */
  status() {
    return this.call('GET', 'status')
  }

  /**
   * Wait for an ID card on the reader and read it (name, sex, ethnicity, birth date, address, ID number,
   * issuing authority, validity, card type, photo). Personal data: keep it only as long as you need it.
   * @param {{ timeoutMs?: number }} [options]
   */
  readIdCard(options = {}) {
    return this.call('POST', 'id-card/read', { timeout_ms: options.timeoutMs })
  }

  /**
   * Photograph a page with the document camera: found, straightened, cropped and enhanced; JPEG in base64.
   * @param {{ mode?: 'colour' | 'black_white' }} [options]
   */
  capturePage(options = {}) {
    return this.call('POST', 'camera/page', { mode: options.mode })
  }

  /**
   * Print a slip on the thermal printer.
   * @param {Array<object>} lines e.g. `[{type: 'text', text: '受理回执', align: 'center', bold: true}, {type: 'qr', data: url}]`
   * @param {{ printer?: 'ticket' | 'receipt' }} [options]
   */
  printSlip(lines, options = {}) {
    return this.call('POST', 'print/slip', { printer: options.printer ?? 'receipt', lines })
  }

  /**
   * Print a PDF on the A4 printer.
   * @param {Blob | ArrayBuffer | Uint8Array} pdf
   * @param {{ title?: string }} [options]
   */
  printPdf(pdf, options = {}) {
    const query = options.title ? `?title=${encodeURIComponent(options.title)}` : ''
    return this.call('POST', `print/pdf${query}`, pdf, { contentType: 'application/pdf' })
  }

  /**
   * Wait for the next code from the scanner gun.
   * @param {{ timeoutMs?: number }} [options]
   */
  scanQr(options = {}) {
    return this.call('POST', 'qr/scan', { timeout_ms: options.timeoutMs })
  }

  /**
   * Light the evaluator and wait for the resident's grade (1 = 非常满意 … 5 = 非常不满意).
   * @param {{ timeoutMs?: number }} [options]
   */
  requestRating(options = {}) {
    return this.call('POST', 'evaluator/rate', { timeout_ms: options.timeoutMs })
  }

  /**
   * Announce a call through the hall speakers.
   * @param {{ ticket: string, window: string, language?: string }} call
   */
  announce(call) {
    return this.call('POST', 'voice/announce', call)
  }

  /**
   * Follow device events (`devices.changed`, …). Returns a function that stops following.
   * @param {(event: { type: string }) => void} handler
   */
  onEvent(handler) {
    const url = new URL(`${this.base}/events`)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.set('token', this.token ?? '')
    const socket = this.makeSocket(url.toString())
    socket.onmessage = (message) => {
      try {
        handler(JSON.parse(message.data))
      } catch {
        // Not JSON: not an event of ours.
      }
    }
    return () => socket.close()
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {{ auth?: boolean, retry?: boolean, contentType?: string }} [options]
   */
  async call(method, path, body, options = {}) {
    const { auth = true, retry = true, contentType = 'application/json' } = options
    const headers = {}
    if (auth && this.token) headers.authorization = `Bearer ${this.token}`
    let payload
    if (body !== undefined) {
      headers['content-type'] = contentType
      payload = contentType === 'application/json' ? JSON.stringify(body) : body
    }
    let response
    try {
      response = await this.fetchImpl(`${this.base}/${path}`, { method, headers, body: payload })
    } catch (e) {
      throw new DeviceApiError('device_api.unreachable', `the terminal's device service did not answer: ${e}`, 0)
    }
    if (response.status === 204) return null
    const text = await response.text()
    let json = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    if (!response.ok) {
      const code = json?.code ?? 'device_api.failed'
      // A session lapses after the profile's idle time, or the terminal restarted: open a new one once.
      if (code === 'device_api.no_session' && auth && retry) {
        await this.openSession()
        return this.call(method, path, body, { ...options, retry: false })
      }
      throw new DeviceApiError(code, json?.message ?? `HTTP ${response.status}`, response.status)
    }
    return json
  }
}
