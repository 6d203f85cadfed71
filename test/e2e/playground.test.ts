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
let vite: ViteDevServer
let browser: Browser
let playgroundUrl: string
let shots: string

beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
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
    await expect.poll(() => page.getByRole('status').getAttribute('data-status')).toBe('live')
    // Give the debounced cache write time to land before the reload.
    await page.waitForTimeout(600)

    const held: Route[] = []
    let holding = true
    await page.route('**/*watchRecords*', (route) => void (holding ? held.push(route) : route.continue()))
    await page.reload()
    await expect.poll(() => held.length).toBeGreaterThan(0)
    await expect.poll(() => messages(page).allTextContents()).toEqual(['cached hello', 'cached world'])
    expect(await page.getByRole('status').getAttribute('data-status')).toBe('connecting')
    await page.screenshot({ path: join(shots, 'reload-from-cache.png') })

    holding = false
    for (const route of held) await route.continue()
    await expect.poll(() => page.getByRole('status').getAttribute('data-status')).toBe('live')
    await page.context().close()
  })

  it('shows a message sent from page A on page B', async () => {
    const room = `pair-${Date.now()}`
    const [a, b] = [await openRoom(room), await openRoom(room)]
    for (const page of [a, b]) await expect.poll(() => page.getByRole('status').getAttribute('data-status')).toBe('live')
    await a.getByRole('textbox', { name: 'Message' }).fill('hi from A')
    await a.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => messages(b).allTextContents()).toEqual(['hi from A'])
    await expect.poll(() => a.locator('li.message.pending').count()).toBe(0)
    await b.screenshot({ path: join(shots, 'page-b.png') })
    await a.context().close()
    await b.context().close()
  })
})
