import { inject, type InjectionKey } from 'vue'
import type { Backend } from './types'

/** Screens never create a backend: main.ts provides the real one, tests provide a fake. */
export const BACKEND_KEY: InjectionKey<Backend> = Symbol('banshi.backend')

export function useBackend(): Backend {
  const backend = inject(BACKEND_KEY, null)
  if (!backend) throw new Error('no Backend provided (app.provide(BACKEND_KEY, …))')
  return backend
}
