// Debian's Chromium through playwright-core (no browser download): a fresh profile folder per run, and the
// flags that keep Chromium from calling out on a closed network.

import { chromium } from 'playwright-core'
import { mkdtempSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const screenshots = process.env.BANSHI_SCREENSHOTS ?? join(root, 'target', 'e2e-screenshots')
mkdirSync(screenshots, { recursive: true })

export async function launch() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'banshi-chromium-')), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    // Hall terminals run on hall time; the KPI hours are hall time too.
    timezoneId: 'Asia/Shanghai',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  })
}

export const shot = (page, name) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: false })
