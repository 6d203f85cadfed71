import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { createServer as createViteServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'
import type { HoldingProxy } from '../support/holdingProxy.js'
import { startHoldingProxy } from '../support/holdingProxy.js'
import type { OutboxTabsView } from './fixtures/outboxTabsPage.js'

// Two pages of one origin in one browser context (one IndexedDB, one set of Web Locks and
// BroadcastChannels), each a tab whose record store shares the outbox, with the default send
// lock. The server sits behind a proxy that holds every putRecord for a second, so a tab that
// did not wait for the lock would send the entry it sees queued by the other tab.

const HOLD_MS = 1000
let vite: ViteDevServer
let browser: Browser
let server: SyncServer
let proxy: HoldingProxy
let pageUrl: string

beforeAll(async () => {
  vite = await createViteServer({
    configFile: false,
    root: new URL('../..', import.meta.url).pathname,
    appType: 'mpa',
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
  })
  await vite.listen()
  pageUrl = new URL('test/e2e/fixtures/outboxTabs.html', vite.resolvedUrls?.local[0]).href
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  proxy = await startHoldingProxy(server.url, { holdPath: '.putRecord', holdMs: HOLD_MS })
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
})

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  await server?.close()
  await vite?.close()
})

let pageErrors: string[] = []
afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

let roomCounter = 0
function newRoom(): { room: string; db: string } {
  const room = `tabs-${process.pid}-${roomCounter++}`
  return { room, db: `outbox-${room}` }
}

async function openTab(context: BrowserContext, room: { room: string; db: string }): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  const query = new URLSearchParams({ server: proxy.url, ...room })
  await page.goto(`${pageUrl}?${query}`)
  await expect.poll(() => page.evaluate(() => window.outboxTabsPage !== undefined)).toBe(true)
  return page
}

const view = (page: Page): Promise<OutboxTabsView> => page.evaluate(() => window.outboxTabsPage!.view())
const records = async (page: Page): Promise<string[]> => (await view(page)).records

/** The putRecord requests for `rkey` in `room` that the pages sent. */
function requestsFor(room: string, rkey: string): number {
  return proxy.held.filter((body) => {
    const request = JSON.parse(body) as { roomUri?: string; rkey?: string }
    return request.roomUri === room && request.rkey === rkey
  }).length
}

async function recordsOnServer(room: string): Promise<string[]> {
  const response = await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=${encodeURIComponent(room)}`)
  const { records: listed } = (await response.json()) as { records: { rkey: string; value: { text: string } }[] }
  return listed.map((record) => `${record.rkey}:${record.value.text}`)
}

async function openTwoTabs(context: BrowserContext, room: { room: string; db: string }): Promise<[Page, Page]> {
  const pages: [Page, Page] = [await openTab(context, room), await openTab(context, room)]
  for (const page of pages) await expect.poll(async () => (await view(page)).status).toBe('live')
  return pages
}

describe.each([
  { mode: 'Web Locks', webLocks: true },
  { mode: 'the BroadcastChannel lease (navigator.locks deleted)', webLocks: false },
])('one outbox shared by two Chromium tabs, with $mode', ({ webLocks }) => {
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext()
    // Before any script of the page runs, as in a browser without Web Locks.
    if (!webLocks) await context.addInitScript(() => delete (Navigator.prototype as { locks?: LockManager }).locks)
    return context
  }

  it('sends an entry from one tab only, while the other shows it pending, and both end confirmed', async () => {
    const context = await newContext()
    const room = newRoom()
    const [a, b] = await openTwoTabs(context, room)
    expect((await view(a)).webLocks).toBe(webLocks)

    await a.evaluate(() => window.outboxTabsPage!.put('hello', 'one-sender'))
    // Page B sees the entry in the shared outbox while the server holds page A's send.
    await expect.poll(() => records(b)).toEqual(['one-sender:hello:pending'])
    expect((await view(b)).savedServer).toBe(false)

    await expect.poll(() => view(a).then((shown) => shown.putResolved)).toBe('one-sender')
    for (const page of [a, b]) {
      await expect.poll(() => records(page)).toEqual(['one-sender:hello:confirmed'])
      await expect.poll(() => view(page).then((shown) => shown.savedServer)).toBe(true)
    }
    expect(requestsFor(room.room, 'one-sender')).toBe(1)
    expect(await recordsOnServer(room.room)).toEqual(['one-sender:hello'])
    await context.close()
  })

  it('lets the other tab deliver, exactly once, a write made offline in a tab that was then closed', async () => {
    const context = await newContext()
    const room = newRoom()
    const [a, b] = await openTwoTabs(context, room)

    await context.setOffline(true)
    await a.evaluate(() => window.outboxTabsPage!.put('typed offline', 'taken-over'))
    await expect.poll(() => records(b)).toEqual(['taken-over:typed offline:pending'])
    await a.close()

    await context.setOffline(false)
    await expect.poll(() => records(b)).toEqual(['taken-over:typed offline:confirmed'])
    await expect.poll(() => view(b).then((shown) => shown.savedServer)).toBe(true)
    expect(requestsFor(room.room, 'taken-over')).toBe(1)
    expect(await recordsOnServer(room.room)).toEqual(['taken-over:typed offline'])
    await context.close()
  })
})
