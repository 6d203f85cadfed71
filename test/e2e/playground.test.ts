import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page, Route } from 'playwright-core'
import { chromium } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { createServer as createViteServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { putRecord } from '../support/records.js'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

let server: SyncServer
/** Kept across the restart in the offline test, as a real server's disk would be. */
const storage = { ...memoryStorage(), close: async () => {} }
let vite: ViteDevServer
let browser: Browser
let playgroundUrl: string
let shots: string

beforeAll(async () => {
  server = createSyncServer({ port: 0, storage })
  await server.start()
  vite = await createViteServer({ configFile: 'playground/vite.config.ts', server: { port: 0 }, logLevel: 'error' })
  await vite.listen()
  playgroundUrl = vite.resolvedUrls?.local[0] ?? ''
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  shots = await mkdtemp(join(tmpdir(), 'syncline-shots-'))
})

afterAll(async () => {
  await browser?.close()
  await vite?.close()
  await server?.close()
})

/** Uncaught errors in any page: each test fails on them. */
let pageErrors: string[] = []
afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

/**
 * Every state the chat's status badge shows, in order, recorded in the page by a
 * MutationObserver: a brief state between two polls is still seen. Survives reloads.
 */
function recordBadgeStates(): void {
  const key = 'syncline-e2e-badge-states'
  const states: string[] = JSON.parse(sessionStorage.getItem(key) ?? '[]')
  const note = (): void => {
    const state = document.querySelector('.chat-header [role="status"]')?.getAttribute('data-status')
    if (state && states[states.length - 1] !== state) {
      states.push(state)
      sessionStorage.setItem(key, JSON.stringify(states))
    }
  }
  new MutationObserver(note).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] })
}
const badgeStates = (page: Page): Promise<string[]> => page.evaluate(() => JSON.parse(sessionStorage.getItem('syncline-e2e-badge-states') ?? '[]') as string[])

const messages = (page: Page) => page.locator('ol.messages li.message .text')
const openRoom = async (room: string): Promise<Page> => {
  const context = await browser.newContext()
  await context.addInitScript(recordBadgeStates)
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  await page.goto(`${playgroundUrl}?server=${encodeURIComponent(server.url)}&room=${room}`)
  return page
}

describe('playground in Chromium', () => {
  it('paints records from IndexedDB after a reload, before the server answers', async () => {
    const room = `reload-${Date.now()}`
    await putRecord(server.url, room, { text: 'cached hello' })
    await putRecord(server.url, room, { text: 'cached world' })
    const page = await openRoom(room)
    await expect.poll(() => messages(page).allTextContents()).toEqual(['cached hello', 'cached world'])
    await expect.poll(() => page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')
    // Give the debounced cache write time to land before the reload.
    await page.waitForTimeout(600)

    const held: Route[] = []
    let holding = true
    // Only the endpoint: the dev server also serves a module named src/wire/watchRecords.ts.
    await page.route('**/xrpc/*.watchRecords*', (route) => void (holding ? held.push(route) : route.continue()))
    await page.reload()
    await expect.poll(() => held.length).toBeGreaterThan(0)
    await expect.poll(() => messages(page).allTextContents()).toEqual(['cached hello', 'cached world'])
    expect(await page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('connecting')
    await page.screenshot({ path: join(shots, 'reload-from-cache.png') })

    holding = false
    for (const route of held) await route.continue()
    await expect.poll(() => page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')
    await page.context().close()
  })

  it('shows a message sent from page A on page B, and a room A adds', async () => {
    const room = `pair-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    for (const page of [a, b]) await expect.poll(() => page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')
    await a.getByRole('textbox', { name: 'Message' }).fill('hi from A')
    await a.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => messages(b).allTextContents()).toEqual(['hi from A'])
    await expect.poll(() => a.locator('li.message.pending').count()).toBe(0)
    await b.screenshot({ path: join(shots, 'page-b.png') })

    // A room made in page A joins page B's room list, and A moves into it.
    const name = `plans-${Date.now()}`
    await a.getByRole('button', { name: '+ New room' }).click()
    await a.getByRole('textbox', { name: 'Room name' }).fill(name)
    await a.getByRole('textbox', { name: 'Room name' }).press('Enter')
    await expect.poll(() => a.locator('.chat-header h2').textContent()).toBe(`# ${name}`)
    await expect.poll(() => b.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: `# ${name}` }).count()).toBe(1)
    await a.context().close()
    await b.context().close()
  })

  it('two pages edit the same room notes and see each other\'s edits', async () => {
    const room = `notes-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    const notesA = a.getByRole('textbox', { name: 'Notes' })
    const notesB = b.getByRole('textbox', { name: 'Notes' })
    for (const notes of [notesA, notesB]) await expect.poll(() => notes.isEnabled()).toBe(true)
    // Both windows follow one document (the room's pointer record), whoever created it.
    await expect.poll(async () => (await a.locator('.saved').textContent()) === 'Saved' && (await b.locator('.saved').textContent()) === 'Saved').toBe(true)
    await notesA.pressSequentially('from A. ')
    await expect.poll(() => notesB.inputValue()).toBe('from A. ')
    await notesB.press('End')
    await notesB.pressSequentially('and B.')
    await expect.poll(() => notesA.inputValue()).toBe('from A. and B.')
    await expect.poll(() => b.locator('.presence').textContent()).toMatch(/Also here: guest-/)
    await a.screenshot({ path: join(shots, 'notes-two-pages.png') })
    await a.context().close()
    await b.context().close()
  })

  it('keeps an edit made with the server down across a reload, shows reconnecting then live, and page B gets it', async () => {
    const room = `offline-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    const notesA = a.getByRole('textbox', { name: 'Notes' })
    const notesB = b.getByRole('textbox', { name: 'Notes' })
    for (const notes of [notesA, notesB]) await expect.poll(() => notes.isEnabled()).toBe(true)
    await expect.poll(async () => (await a.locator('.saved').textContent()) === 'Saved' && (await b.locator('.saved').textContent()) === 'Saved').toBe(true)

    const port = server.port
    await server.close()
    await expect.poll(() => a.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('reconnecting')
    await notesA.pressSequentially('written offline')
    await expect.poll(() => a.locator('.saved').textContent()).toBe('Saved on this device')
    await a.screenshot({ path: join(shots, 'offline-edit.png') })

    // Reload while the server is still down: the edit comes back from IndexedDB.
    await a.reload()
    await expect.poll(() => a.getByRole('textbox', { name: 'Notes' }).inputValue()).toBe('written offline')

    server = createSyncServer({ port, storage })
    await server.start()
    await expect.poll(() => a.locator('.chat-header [role="status"]').getAttribute('data-status'), { timeout: 30_000 }).toBe('live')
    await expect.poll(() => notesB.inputValue(), { timeout: 30_000 }).toBe('written offline')
    await expect.poll(() => a.locator('.saved').textContent()).toBe('Saved')
    // Across the outage and the reload, the badge went from live to reconnecting and back to live.
    const states = await badgeStates(a)
    const lost = states.indexOf('reconnecting', states.indexOf('live'))
    expect(lost, states.join(' → ')).toBeGreaterThan(0)
    expect(states.slice(lost).at(-1), states.join(' → ')).toBe('live')
    await a.screenshot({ path: join(shots, 'back-online.png') })
    await a.context().close()
    await b.context().close()
  })

  it('keeps a message typed with the server down across a reload and delivers it once when the server is back; page B sees it', async () => {
    const room = `outbox-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    for (const page of [a, b]) await expect.poll(() => page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')

    const port = server.port
    await server.close()
    await expect.poll(() => a.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('reconnecting')
    await a.getByRole('textbox', { name: 'Message' }).fill('typed while the server was down')
    await a.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => a.locator('li.message.pending .text').allTextContents()).toEqual(['typed while the server was down'])
    // In IndexedDB before the reload: the badge says the write is on this device.
    await expect.poll(() => a.evaluate(async () => {
      const request = indexedDB.open('syncline')
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const all = await new Promise<unknown[]>((resolve) => {
        const get = db.transaction('outbox').objectStore('outbox').getAll()
        get.onsuccess = () => resolve(get.result)
      })
      db.close()
      return all.length
    })).toBe(1)

    await a.reload()
    await expect.poll(() => a.locator('li.message.pending .text').allTextContents()).toEqual(['typed while the server was down'])

    server = createSyncServer({ port, storage })
    await server.start()
    await expect.poll(() => messages(b).allTextContents(), { timeout: 30_000 }).toEqual(['typed while the server was down'])
    await expect.poll(() => a.locator('li.message.pending').count(), { timeout: 30_000 }).toBe(0)
    expect(await messages(a).allTextContents()).toEqual(['typed while the server was down'])
    const listed = await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=${encodeURIComponent(room)}`)
    expect(((await listed.json()) as { records: unknown[] }).records).toHaveLength(1)
    await a.context().close()
    await b.context().close()
  })

  it('with the browser offline: says so at once, keeps notes and a message on the device, and delivers both back online', async () => {
    const room = `unplugged-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    const notesA = a.getByRole('textbox', { name: 'Notes' })
    const notesB = b.getByRole('textbox', { name: 'Notes' })
    for (const notes of [notesA, notesB]) await expect.poll(() => notes.isEnabled()).toBe(true)
    await expect.poll(async () => (await a.locator('.saved').textContent()) === 'Saved' && (await b.locator('.saved').textContent()) === 'Saved').toBe(true)
    const panelRow = (page: Page, label: string) => page.getByRole('region', { name: 'Connection' }).locator('.connection-row', { hasText: label }).locator('dd')

    // Chromium's own offline switch: `offline` fires, requests fail. The streams and sockets
    // that still look open are dropped at once rather than when a timeout notices.
    await a.context().setOffline(true)
    await expect.poll(() => a.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('offline')
    await expect.poll(() => panelRow(a, 'Network').textContent()).toBe('offline')
    await expect.poll(() => panelRow(a, 'Sync').textContent()).toBe('reconnecting')

    await notesA.pressSequentially('typed on a plane')
    await expect.poll(() => a.locator('.saved').textContent()).toBe('Saved on this device')
    await expect.poll(() => panelRow(a, 'Your edits').textContent()).toMatch(/waiting$/)
    await a.getByRole('textbox', { name: 'Message' }).fill('sent from the plane')
    await a.getByRole('button', { name: 'Send' }).click()
    // Offline is not a refusal: the message waits in the outbox, shown as sending.
    await expect.poll(() => a.locator('li.message.pending').count()).toBe(1)
    expect(await a.locator('li.message.failed').count()).toBe(0)
    await a.screenshot({ path: join(shots, 'browser-offline.png') })
    // Page B, online all along, has neither yet.
    expect(await notesB.inputValue()).toBe('')
    expect(await messages(b).allTextContents()).toEqual([])

    await a.context().setOffline(false)
    await expect.poll(() => a.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')
    await expect.poll(() => notesB.inputValue()).toBe('typed on a plane')
    await expect.poll(() => a.locator('.saved').textContent()).toBe('Saved')
    await expect.poll(() => messages(b).allTextContents()).toEqual(['sent from the plane'])
    await expect.poll(() => a.locator('li.message.failed, li.message.pending').count()).toBe(0)
    await a.context().close()
    await b.context().close()
  })
})
