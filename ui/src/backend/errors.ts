/**
 * The one error shape every backend call rejects with: `{ code, message }`, as the Rust side returns from Tauri
 * commands and HTTP handlers. The UI translates by `code` and falls back to `message`.
 *
 * Codes the front end produces itself (no backend answer to carry one) live under `client.`.
 */
export class BackendError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'BackendError'
    this.code = code
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message }
  }
}

export const CLIENT_ERRORS = {
  /** No answer at all: connection refused, DNS, CORS, offline. */
  unreachable: 'client.unreachable',
  /** The request took longer than the client waits. */
  timeout: 'client.timeout',
  /** The backend answered with something that is not the documented shape. */
  badResponse: 'client.bad_response',
  /** An HTTP error without a `{code, message}` body. */
  http: 'client.http_error',
  /** Anything else thrown below us. */
  unknown: 'client.unknown',
} as const

export function isBackendError(value: unknown): value is BackendError {
  return value instanceof BackendError
}

function isCodeMessage(value: unknown): value is { code: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}

/**
 * Map anything a transport threw into a BackendError. Accepts the `{code, message}` object (Tauri rejections),
 * its JSON text (a command that returned a stringified error), a BackendError, or any other throwable.
 */
export function toBackendError(value: unknown): BackendError {
  if (value instanceof BackendError) return value
  if (isCodeMessage(value)) return new BackendError(value.code, value.message)
  if (typeof value === 'string') {
    const trimmed = value.trim()
    if (trimmed.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(trimmed)
        if (isCodeMessage(parsed)) return new BackendError(parsed.code, parsed.message)
      } catch {
        // not JSON: fall through and keep the text as the message
      }
    }
    return new BackendError(CLIENT_ERRORS.unknown, value)
  }
  // DOMException is not an Error subclass in every engine: look at the name first.
  const name = typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new BackendError(CLIENT_ERRORS.timeout, String((value as { message?: unknown }).message ?? name))
  }
  if (value instanceof Error) {
    // fetch() rejects with a TypeError when the server cannot be reached at all.
    if (value.name === 'TypeError') return new BackendError(CLIENT_ERRORS.unreachable, value.message)
    return new BackendError(CLIENT_ERRORS.unknown, value.message)
  }
  return new BackendError(CLIENT_ERRORS.unknown, String(value))
}

/** Build the error for a non-2xx HTTP answer from its body text. */
export function httpError(status: number, statusText: string, body: string): BackendError {
  if (body) {
    try {
      const parsed: unknown = JSON.parse(body)
      if (isCodeMessage(parsed)) return new BackendError(parsed.code, parsed.message)
    } catch {
      // plain-text body (a proxy's error page, say)
    }
  }
  const text = body && body.length <= 200 ? body : statusText
  return new BackendError(CLIENT_ERRORS.http, `HTTP ${status}${text ? `: ${text}` : ''}`)
}
