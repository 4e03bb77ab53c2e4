/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { pinyinDictPlugin } from './build/pinyin-dict.mjs'

// The same bundle runs inside the Tauri WebView (WebKitGTK 2.50 on Linux, WebView2 on Windows) and in any
// browser that `banshi serve` feeds (hall PCs, TV browsers on the LAN). Relative `base` lets it be served from
// `tauri://localhost/`, a file-less custom protocol, or any sub-path of the backend.
//
// `npm run dev` proxies /api (HTTP and the /api/events WebSocket) to a backend, by default a local
// `banshi serve`; set BANSHI_API to point elsewhere.
const apiTarget = process.env.BANSHI_API ?? 'http://127.0.0.1:8400'

export default defineConfig({
  base: './',
  // pinyinDictPlugin: the on-screen keyboard's pinyin table, made from an npm package at build time.
  plugins: [vue(), pinyinDictPlugin()],
  // vue-i18n's esm-bundler feature flags: composition API only, no devtools hooks in production.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  server: {
    port: 1420,
    strictPort: true,
    host: process.env.TAURI_DEV_HOST || false,
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: true },
    },
    // The fleet profile editor starts a group without a release from the profile crate's reference examples.
    fs: { allow: ['.', '../kiosk-profiles/examples'] },
  },
  build: {
    outDir: 'dist',
    // Chromium ≥ 111 and Safari 16.4-level WebKit; WebKitGTK 2.50 is well above that.
    target: ['es2022', 'chrome111', 'safari16.4'],
    cssTarget: ['chrome111', 'safari16.4'],
    sourcemap: false,
    // Kiosks load from local disk: one small chunk set, no CDN, no preload polyfill fetching anything.
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    restoreMocks: true,
  },
})
