import { createApp } from 'vue'
import App from './App.vue'
import { BACKEND_KEY, createBackend } from './backend'
import { APP_STATE_KEY, createAppState } from './composables/appState'
import { createAppI18n } from './i18n'
import { createAppRouter } from './router'
import './styles/main.css'

const backend = createBackend()
const state = createAppState(backend)
const i18n = createAppI18n()
const router = createAppRouter(state)

const app = createApp(App)
app.provide(BACKEND_KEY, backend)
app.provide(APP_STATE_KEY, state)
app.use(i18n)
app.use(router)
state.start()
app.mount('#app')

window.addEventListener('pagehide', () => {
  state.dispose()
  backend.close()
})
