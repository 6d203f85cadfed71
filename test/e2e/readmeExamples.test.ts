// The README's Quick start and Documents examples, run as pasted (docs/examples, the same
// bytes as the README blocks) in Chromium against the reference server. The only change is
// the server address: the examples name 127.0.0.1:3030, the test's server listens on a free port.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import type { Plugin, ViteDevServer } from 'vite'
import { createServer as createViteServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { putRecord } from '../support/records.js'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

const root = resolve(import.meta.dirname, '../..')
let server: SyncServer
let vite: ViteDevServer
let browser: Browser
let pageUrl: string
let viteCache: string

/** Points the examples' `127.0.0.1:3030` at the test's server. */
function testServerAddress(address: string): Plugin {
  return {
    name: 'readme-examples-server-address',
    transform: (code, id) => (id.startsWith(resolve(root, 'docs/examples')) ? code.replaceAll('127.0.0.1:3030', address) : undefined),
  }
}

beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  vite = await createViteServer({
    configFile: false,
    root: resolve(import.meta.dirname, 'readme'),
    plugins: [react(), testServerAddress(new URL(server.url).host)],
    resolve: { alias: { syncline: resolve(root, 'src/index.ts') } },
    server: { host: '127.0.0.1', port: 0 },
    // Its own cache (node_modules is shared), with the lazily imported dependencies listed:
    // found only mid-run, they would make Vite answer 504 and reload the page.
    cacheDir: (viteCache = await mkdtemp(join(tmpdir(), 'syncline-readme-vite-'))),
    optimizeDeps: {
      include: ['@automerge/automerge/slim', '@automerge/automerge/automerge.wasm.base64', 'idb', 'react', 'react/jsx-dev-runtime', 'react-dom/client'],
    },
    logLevel: 'error',
  })
  await vite.listen()
  pageUrl = vite.resolvedUrls?.local[0] ?? ''
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
})

afterAll(async () => {
  await browser?.close()
  await vite?.close()
  await server?.close()
  if (viteCache !== undefined) await rm(viteCache, { recursive: true, force: true })
})

/** Page errors and console errors of every page: each test fails on them. */
let pageErrors: string[] = []
afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

async function openPage(url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(`${message.text()} (${message.location().url})`)))
  await page.goto(url)
  return page
}

const badgeStatus = (page: Page) => page.locator('[role="status"]').getAttribute('data-status')

describe('README examples in Chromium', () => {
  it('Quick start shows the room\'s records, and a new one live', async () => {
    await putRecord(server.url, 'general', { text: 'already there' })
    const page = await openPage(`${pageUrl}?example=quick-start`)
    await expect.poll(() => page.locator('li').allTextContents()).toEqual(['already there'])
    await expect.poll(() => badgeStatus(page)).toBe('live')
    await putRecord(server.url, 'general', { text: 'just sent' })
    await expect.poll(() => page.locator('li').allTextContents()).toEqual(['just sent', 'already there'])
    await page.context().close()
  })

  it('Documents creates a list, puts its URL in the address, and a second page on that address edits the same list', async () => {
    const a = await openPage(`${pageUrl}?example=documents`)
    await a.getByRole('button', { name: 'New list' }).click()
    await expect.poll(() => new URL(a.url()).hash.startsWith('#automerge:')).toBe(true)
    await expect.poll(() => a.locator('h2').textContent()).toContain('Groceries')
    await a.getByRole('button', { name: 'Add' }).click()
    await expect.poll(() => a.locator('label').allTextContents()).toEqual(['new'])
    await expect.poll(() => a.locator('h2').textContent()).toContain('✓')
    expect(await a.locator('code').textContent()).toBe(a.url())

    const b = await openPage(a.url())
    await expect.poll(() => b.locator('label').allTextContents()).toEqual(['new'])
    await b.getByRole('checkbox').click()
    await expect.poll(() => a.getByRole('checkbox').isChecked()).toBe(true)
    await a.context().close()
    await b.context().close()
  })
})
