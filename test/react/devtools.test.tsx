import { act, cleanup, render } from '@testing-library/react'
import { WebSocket } from 'ws'
import { afterEach, expect, it, vi } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import type { SyncDevtools as Devtools } from '../../src/devtools/index.js'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import { DocPresence } from '../../src/core/docs/presence.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { pollUntil } from '../support/poll.js'
import { newRoom, putRecord, watchUrl } from '../support/records.js'

// The gate reads process.env.NODE_ENV once, when syncline/devtools is first evaluated (as a
// bundler's replacement would): each test loads it afresh under its own NODE_ENV.
const clients: SyncClient[] = []

afterEach(async () => {
  cleanup()
  await Promise.all(clients.splice(0).map((client) => client.close()))
  vi.unstubAllEnvs()
  vi.resetModules()
})

async function renderDevtools(entry: 'index' | 'production'): Promise<HTMLElement> {
  const { SyncDevtools } = (await import(`../../src/devtools/${entry}.ts`)) as { SyncDevtools: typeof Devtools }
  const client = createSyncClient({ recordsBaseUrl: 'http://127.0.0.1:9' })
  // The client prop, not a provider: a provider from before resetModules is another context.
  const { container } = render(<SyncDevtools initialIsOpen client={client} />)
  clients.push(client)
  return container
}

it('renders nothing from syncline/devtools in a production build', async () => {
  vi.stubEnv('NODE_ENV', 'production')
  vi.resetModules()
  const container = await renderDevtools('index')
  expect(container.innerHTML).toBe('')
})

it('renders the panel from syncline/devtools/production in a production build', async () => {
  vi.stubEnv('NODE_ENV', 'production')
  vi.resetModules()
  const container = await renderDevtools('production')
  expect(container.querySelector('[data-syncline-devtools]')).not.toBe(null)
})

it('renders the panel from syncline/devtools in development', async () => {
  vi.stubEnv('NODE_ENV', 'development')
  vi.resetModules()
  const container = await renderDevtools('index')
  expect(container.querySelector('[data-syncline-devtools]')).not.toBe(null)
})

/** The panel lives in a shadow root: queries go through it. */
function shadowOf(container: HTMLElement): ShadowRoot {
  const shadow = container.querySelector('[data-syncline-devtools]')?.shadowRoot
  if (shadow === null || shadow === undefined) throw new Error('no devtools shadow root')
  return shadow
}

it("shows a document's cache chunks and the peers seen through presence", async () => {
  const server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  try {
    const { SyncDevtools } = await import('../../src/devtools/production.js')
    const socket = { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket }
    const alice = createSyncClient({ url: server.url, cache: createMemoryCache(), ...socket })
    const bob = createSyncClient({ url: server.url, ...socket })
    clients.push(alice, bob)
    const doc = alice.createDoc<{ text: string }>({ text: 'hi' }, automergeDocSupport)
    const releaseDoc = alice.retain(doc)
    await doc.whenSaved('server')
    await doc.whenSaved('local')
    const { container } = render(<SyncDevtools initialIsOpen client={alice} />)
    const panel = (): ShadowRoot => shadowOf(container)
    await pollUntil(() => panel().querySelector('[role="dialog"]') !== null, 'the panel to open')
    const tab = [...panel().querySelectorAll('[role="tab"]')].find((button) => button.textContent === 'Documents') as HTMLButtonElement
    act(() => tab.click())
    const section = (): Element | null => panel().querySelector(`[data-document="${doc.documentId}"]`)
    await pollUntil(() => section() !== null, 'the document to be listed')
    expect(Number(section()?.querySelector('[data-cache-chunks]')?.getAttribute('data-cache-chunks'))).toBeGreaterThan(0)
    expect(section()?.querySelector('[data-peers]')?.getAttribute('data-peers')).toBe('0')
    // Bob opens the document and says who he is.
    const bobsDoc = bob.getDocStore<{ text: string }>(doc.url, automergeDocSupport)
    const releaseBob = bob.retain(bobsDoc)
    const presence = new DocPresence<{ name: string }>(bobsDoc, { heartbeatMs: 100 })
    presence.set({ name: 'bob' })
    await pollUntil(() => section()?.querySelector('[data-peers]')?.getAttribute('data-peers') === '1', 'the panel to show bob')
    presence.close()
    releaseBob()
    releaseDoc()
  } finally {
    await server.close()
  }
})

it("shows the records window's cursor, where loadOlder pages from, until nothing is older", async () => {
  const server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  try {
    const { SyncDevtools } = await import('../../src/devtools/production.js')
    const room = newRoom()
    for (const text of ['one', 'two', 'three']) await putRecord(server.url, room, { text })
    const client = createSyncClient({ recordsBaseUrl: server.url })
    clients.push(client)
    // A snapshot window of two: the third is older, behind the cursor.
    const store = client.getRecordStore<{ text: string }>(`${watchUrl(room)}&limit=2`)
    const release = client.retain(store)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    const { container } = render(<SyncDevtools initialIsOpen client={client} />)
    const root = (): ShadowRoot => shadowOf(container)
    await pollUntil(() => root().querySelector('[role="dialog"]') !== null, 'the panel to open')
    const tab = [...root().querySelectorAll('[role="tab"]')].find((button) => button.textContent === 'Records') as HTMLButtonElement
    act(() => tab.click())
    const cursor = (): string | null | undefined => root().querySelector('[data-older-cursor]')?.getAttribute('data-older-cursor')
    await pollUntil(() => typeof cursor() === 'string', 'the window to be shown')
    expect(store.olderCursor).toEqual(expect.any(String))
    expect(cursor()).toBe(store.olderCursor)
    expect(root().querySelector('[data-store]')?.textContent).toContain('2 records loaded')
    // One page brings the third record; the next finds nothing older.
    await act(async () => {
      let more = true
      while (more) more = await store.loadOlder()
    })
    await pollUntil(() => cursor() === '', 'the cursor to say nothing is older')
    expect(store.olderCursor).toBe(null)
    expect(root().querySelector('[data-store]')?.textContent).toMatch(/3 records loaded.*nothing older/)
    release()
  } finally {
    await server.close()
  }
})
