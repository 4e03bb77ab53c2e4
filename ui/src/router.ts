import { createRouter, createWebHashHistory, type RouteRecordRaw, type Router } from 'vue-router'
import type { RunMode } from './backend/types'
import type { ChromeVariant } from './components/AppChrome.vue'
import type { AppState } from './composables/appState'
import AdminView from './views/AdminView.vue'
import BackgroundView from './views/BackgroundView.vue'
import CallScreenView from './views/CallScreenView.vue'
import CustomerScreenView from './views/CustomerScreenView.vue'
import FieldView from './views/FieldView.vue'
import OfficeView from './views/OfficeView.vue'
import SyncListView from './views/SyncListView.vue'
import QueueTicketView from './views/QueueTicketView.vue'
import SelfServiceView from './views/SelfServiceView.vue'
import WindowView from './views/WindowView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    mode?: RunMode
    variant?: ChromeVariant
    /** The window's customer-facing screen: chrome without staff or device status. */
    customer?: boolean
  }
}

const VIEWS: Record<RunMode, { component: RouteRecordRaw['component']; variant: ChromeVariant }> = {
  'self-service': { component: SelfServiceView, variant: 'kiosk' },
  'queue-ticket': { component: QueueTicketView, variant: 'kiosk' },
  'call-screen': { component: CallScreenView, variant: 'tv' },
  window: { component: WindowView, variant: 'desk' },
  field: { component: FieldView, variant: 'desk' },
  office: { component: OfficeView, variant: 'desk' },
  background: { component: BackgroundView, variant: 'desk' },
  admin: { component: AdminView, variant: 'desk' },
}

export function modePath(mode: RunMode): string {
  return `/${mode}`
}

/** The chrome size of a mode's screens; screens shared by every mode (/sync) take their terminal's. */
export function modeVariant(mode: RunMode): ChromeVariant {
  return VIEWS[mode].variant
}

/** The list of records not yet synced, opened from the sync indicator on every mode's screen. */
export const SYNC_PATH = '/sync'

/** The window desk's customer-facing screen: the app's second window, or a page a browser opens beside the desk. */
export const CUSTOMER_PATH = '/customer'

/**
 * A route per run mode, plus `/sync` for every mode and `/customer` for the window's customer screen. `/` waits for the first status and goes to the profile's mode.
 * Hash history works under Tauri's custom protocol and behind `banshi serve` alike, with no server-side routes.
 */
export function createAppRouter(state: AppState): Router {
  const routes: RouteRecordRaw[] = [
    {
      path: '/',
      name: 'home',
      component: { render: () => null },
      beforeEnter: async () => modePath((await state.ready()).mode),
    },
    ...(Object.entries(VIEWS) as [RunMode, (typeof VIEWS)[RunMode]][]).map(
      ([mode, v]): RouteRecordRaw => ({
        path: modePath(mode),
        name: mode,
        component: v.component!,
        meta: { mode, variant: v.variant },
      }),
    ),
    { path: SYNC_PATH, name: 'sync', component: SyncListView },
    {
      path: CUSTOMER_PATH,
      name: 'customer',
      component: CustomerScreenView,
      meta: { mode: 'window', variant: 'kiosk', customer: true },
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ]
  const router = createRouter({ history: createWebHashHistory(), routes })
  // Screens read the status synchronously: never render one before the first status is in.
  router.beforeEach(async () => {
    await state.ready()
  })
  return router
}
