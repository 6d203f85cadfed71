import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page, Route } from 'playwright-core'
import { chromium } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { createServer as createViteServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

const messages = (page: Page) => page.locator('ol.messages li.message .text')
const openRoom = async (room: string): Promise<Page> => {
  const page = await (await browser.newContext()).newPage()
  page.on('pageerror', (error) => console.error('page error:', error))
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
    await page.route('**/*watchRecords*', (route) => void (holding ? held.push(route) : route.continue()))
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

  it('shows a message sent from page A on page B', async () => {
    const room = `pair-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    for (const page of [a, b]) await expect.poll(() => page.locator('.chat-header [role="status"]').getAttribute('data-status')).toBe('live')
    await a.getByRole('textbox', { name: 'Message' }).fill('hi from A')
    await a.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => messages(b).allTextContents()).toEqual(['hi from A'])
    await expect.poll(() => a.locator('li.message.pending').count()).toBe(0)
    await b.screenshot({ path: join(shots, 'page-b.png') })
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
    await a.context().close()
    await b.context().close()
  })
})
