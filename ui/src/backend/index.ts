import { isTauri } from '@tauri-apps/api/core'
import { createHttpBackend } from './http'
import { createTauriBackend } from './tauri'
import type { Backend } from './types'

export * from './types'
export { BackendError, CLIENT_ERRORS, isBackendError, toBackendError } from './errors'
export { parseEvent } from './parse'
export { LOGIN_REQUIRED } from './session'
export { createHttpBackend, HttpBackend } from './http'
export type { HttpBackendOptions, WebSocketFactory, WebSocketLike } from './http'
export { createTauriBackend, TauriBackend, EVENT_CHANNEL } from './tauri'
export type { TauriBackendOptions } from './tauri'
export { BACKEND_KEY, useBackend } from './inject'

/** The backend for where the page runs: the Tauri WebView, or a browser fed by `banshi serve`. */
export function createBackend(): Backend {
  return isTauri() ? createTauriBackend() : createHttpBackend()
}
