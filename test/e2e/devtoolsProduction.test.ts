import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

/**
 * `syncline/devtools` in a production build renders nothing; `syncline/devtools/production`
 * renders the panel. Each app is bundled from src as an app's bundler would (esbuild,
 * `NODE_ENV=production`, React bundled in: its production build), then run in Chromium.
 */
const root = new URL('../..', import.meta.url).pathname

const app = (entry: 'index' | 'production'): string => `
  import { createRoot } from 'react-dom/client'
  import { SyncProvider } from './src/index.ts'
  import { SyncDevtools } from './src/devtools/${entry}.ts'
  createRoot(document.getElementById('root')).render(
    <SyncProvider recordsBaseUrl="http://127.0.0.1:9">
      <p id="app">the app</p>
      <SyncDevtools initialIsOpen />
    </SyncProvider>,
  )`

async function bundle(entry: 'index' | 'production'): Promise<string> {
  const result = await build({
    stdin: { contents: app(entry), resolveDir: root, loader: 'jsx', sourcefile: `${entry}-app.jsx` },
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    jsx: 'automatic',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

let browser: Browser

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
})
afterAll(async () => {
  await browser?.close()
})

/** Runs the bundle in a fresh page once the app has rendered: whether a devtools host is there, and whether its panel opened. */
async function run(script: string): Promise<{ hosts: number; panels: number }> {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  try {
    await page.setContent('<div id="root"></div>')
    await page.addScriptTag({ content: script })
    await expect.poll(() => page.locator('#app').count()).toBe(1)
    // The panel is in the same tree as the app, and its shadow root is attached in a layout effect.
    const seen = await page.evaluate(() => {
      const hosts = [...document.querySelectorAll('[data-syncline-devtools]')]
      return { hosts: hosts.length, panels: hosts.filter((host) => host.shadowRoot?.querySelector('[role="dialog"]') != null).length }
    })
    expect(errors).toEqual([])
    return seen
  } finally {
    await page.close()
  }
}

describe('the devtools in a production build', () => {
  it('renders nothing from syncline/devtools', async () => {
    const script = await bundle('index')
    expect(await run(script)).toEqual({ hosts: 0, panels: 0 })
    // The panel's own code is shaken out, not only skipped.
    expect(script).not.toContain('syncline devtools')
  })

  it('renders the panel from syncline/devtools/production', async () => {
    const script = await bundle('production')
    expect(script).toContain('syncline devtools')
    await expect(run(script)).resolves.toEqual({ hosts: 1, panels: 1 })
  })
})
