// Types for banshi-device.js (the device SDK). Reference: docs/device-api.md.

export declare const DEFAULT_BASE_URL: string

export type DeviceStatusValue = 'ok' | 'degraded' | 'offline' | 'paper_low' | 'paper_out' | 'unknown'

export interface DeviceHealth {
  class: string
  driver: string
  target: string
  status: DeviceStatusValue
  detail: string | null
}

export interface SessionGrant {
  token: string
  idle_timeout_secs: number
}

export declare class DeviceApiError extends Error {
  readonly code: string
  readonly status: number
  constructor(code: string, message: string, status: number)
}

export interface ConnectOptions {
  baseUrl?: string
  fetch?: typeof fetch
  webSocket?: (url: string) => WebSocket
}

export declare class BanshiDevices {
  static connect(options?: ConnectOptions): Promise<BanshiDevices>
  constructor(options?: ConnectOptions)
  token: string | null
  openSession(): Promise<SessionGrant>
  close(): Promise<void>
  status(): Promise<DeviceHealth[]>
  readIdCard(options?: { timeoutMs?: number }): Promise<Record<string, unknown>>
  capturePage(options?: { mode?: 'colour' | 'black_white' }): Promise<Record<string, unknown>>
  printSlip(lines: Array<Record<string, unknown>>, options?: { printer?: 'ticket' | 'receipt' }): Promise<{ printed: boolean }>
  printPdf(pdf: Blob | ArrayBuffer | Uint8Array, options?: { title?: string }): Promise<{ job_id: number }>
  scanQr(options?: { timeoutMs?: number }): Promise<{ text: string }>
  requestRating(options?: { timeoutMs?: number }): Promise<{ grade: number; name: string }>
  announce(call: { ticket: string; window: string; language?: string }): Promise<Record<string, unknown>>
  onEvent(handler: (event: { type: string }) => void): () => void
  call(method: string, path: string, body?: unknown, options?: { auth?: boolean; retry?: boolean; contentType?: string }): Promise<any>
}
