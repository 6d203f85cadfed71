import { describe, expect, inject, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection, DocStore } from '../../src/core/docs/types.js'

const docsUrl = inject('serverUrl').replace(/^http/, 'ws') + '/'

type Notes = { notes: string[] }

/**
 * Resolves with the first value of `check` that is not undefined, null or false (null is
 * "not yet"), and fails naming `what` it waited for. The first test also compiles
 * Automerge's wasm, which took over 5 s with both cores busy, hence the 15 s deadline.
 */
function until<T>(store: { subscribe(listener: () => void): () => void }, check: () => T | null | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    const test = (): void => {
      const value = check()
      if (value === undefined || value === null || value === false) return
      clearTimeout(timer)
      unsubscribe()
      resolve(value)
    }
    const unsubscribe = store.subscribe(test)
    test()
  })
}

const ready = (store: DocStore<Notes>) => until(store, () => store.getSnapshot().doc, `the document ${store.url}`)
const live = (connection: DocConnection) => until(connection, () => connection.getSnapshot().status === 'live', 'the connection to be live')

describe('documents in Chromium (Automerge wasm from base64, IndexedDB, BroadcastChannel)', () => {
  it('syncs through the reference server, and after a "reload" paints from IndexedDB at once', async () => {
    const dbName = `docs-${crypto.randomUUID()}`
    const first = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    first.start()
    const created = first.create<Notes>({ notes: ['hello'] })
    await live(first)
    await created.whenSaved('server')
    await first.close()

    // Offline this time (never started): everything comes from IndexedDB.
    const reloaded = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    const store = reloaded.open<Notes>(created.url)
    expect((await ready(store)).notes).toEqual(['hello'])
    expect(store.getSnapshot().saved.local).toBe(true)

    // And another client, without a cache, gets it from the server.
    const other = createDocConnection({ url: docsUrl })
    other.start()
    const fetched = other.open<Notes>(created.url)
    expect((await ready(fetched)).notes).toEqual(['hello'])
    await Promise.all([reloaded.close(), other.close()])
  })

  it('two tabs on one database merge each other\'s offline changes through the cache', async () => {
    const dbName = `tabs-${crypto.randomUUID()}`
    // Two cache objects, as two tabs would have; neither connection is started.
    const tabA = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    const tabB = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    const a = tabA.create<Notes>({ notes: ['a1'] })
    await until(a, () => a.getSnapshot().saved.local, 'tab A to save locally')
    const b = tabB.open<Notes>(a.url)
    await ready(b)
    a.change((doc) => void doc.notes.push('a2'))
    await until(b, () => b.getSnapshot().doc?.notes.includes('a2'), "tab B to see A's a2")
    b.change((doc) => void doc.notes.push('b1'))
    await until(a, () => a.getSnapshot().doc?.notes.includes('b1'), "tab A to see B's b1")
    expect(a.getSnapshot().doc?.notes).toEqual(b.getSnapshot().doc?.notes)
    await Promise.all([tabA.close(), tabB.close()])
  })

  it('keeps an edit made offline across a reload, then syncs it once the server is reachable', async () => {
    const dbName = `offline-${crypto.randomUUID()}`
    const online = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    online.start()
    const created = online.create<Notes>({ notes: ['hello'] })
    await created.whenSaved('server')
    await online.close()

    // No server answers here: the page is offline.
    const offline = createDocConnection({ url: 'ws://127.0.0.1:9/', cache: createIndexedDBCache({ dbName }), reconnect: false })
    offline.start()
    const edited = offline.open<Notes>(created.url)
    await ready(edited)
    edited.change((doc) => void doc.notes.push('written offline'))
    expect(edited.getSnapshot().saved.server).toBe(false)
    await edited.whenSaved('local')
    await offline.close()

    // The reload: a fresh cache object on the same database, now with the server back.
    const reloaded = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    const store = reloaded.open<Notes>(created.url)
    expect((await ready(store)).notes).toEqual(['hello', 'written offline'])
    expect(store.getSnapshot().saved.server).toBe(false)
    reloaded.start()
    await store.whenSaved('server')

    const other = createDocConnection({ url: docsUrl })
    other.start()
    const fetched = other.open<Notes>(created.url)
    await until(fetched, () => fetched.getSnapshot().doc?.notes.includes('written offline'), 'the offline edit on the server')
    await Promise.all([reloaded.close(), other.close()])
  })
})
