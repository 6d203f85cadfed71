import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { createServer as createViteServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

// Two pages of one origin in one browser context (Web Locks and BroadcastChannel are per
// storage partition, so two contexts would be two browsers), each a tab with its own send lock.

let vite: ViteDevServer
let browser: Browser
let pageUrl: string

beforeAll(async () => {
  // No config file: the page imports one core module and nothing from node_modules.
  vite = await createViteServer({
    configFile: false,
    root: new URL('../..', import.meta.url).pathname,
    appType: 'mpa',
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
  })
  await vite.listen()
  pageUrl = new URL('test/e2e/fixtures/outboxLock.html', vite.resolvedUrls?.local[0]).href
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
})

afterAll(async () => {
  await browser?.close()
  await vite?.close()
})

let pageErrors: string[] = []
afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

async function openTab(context: BrowserContext, query: string): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  await page.goto(`${pageUrl}${query}`)
  await expect.poll(() => page.evaluate(() => window.outboxLockPage !== undefined)).toBe(true)
  return page
}

const started = (page: Page): Promise<boolean> => page.evaluate(() => window.outboxLockPage!.state.started)

describe.each([
  { mode: 'Web Locks', query: '', webLocks: true },
  { mode: 'the BroadcastChannel lease (navigator.locks deleted)', query: '?fallback', webLocks: false },
])('send lock in Chromium with $mode', ({ query, webLocks }) => {
  it("runs one page's send at a time, and the second page's once the first is closed mid-send", async () => {
    const context = await browser.newContext()
    const [a, b] = [await openTab(context, query), await openTab(context, query)]
    expect(await a.evaluate(() => window.outboxLockPage!.state.webLocks)).toBe(webLocks)

    await a.evaluate(() => window.outboxLockPage!.hold())
    await expect.poll(() => started(a)).toBe(true)
    await b.evaluate(() => window.outboxLockPage!.hold())
    if (webLocks) {
      // The browser itself shows page B queued behind page A's lock.
      const queue = () => b.evaluate(async () => {
        const { held = [], pending = [] } = await navigator.locks.query()
        return { held: held.map((lock) => lock.name), pending: pending.map((lock) => lock.name) }
      })
      await expect.poll(queue).toEqual({ held: ['syncline:outbox'], pending: ['syncline:outbox'] })
    } else {
      // Page A's lease, renewed every 1000 / 3 ms, outlasts its 1000 ms term while page B waits.
      await expect.poll(() => b.evaluate(() => window.outboxLockPage!.state.heldHeard - window.outboxLockPage!.state.heldHeardAtHold)).toBeGreaterThanOrEqual(4)
    }
    expect(await started(b)).toBe(false)

    await a.close()
    await expect.poll(() => started(b)).toBe(true)
    await context.close()
  })
})
