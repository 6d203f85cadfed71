import type { DBSchema, IDBPDatabase } from 'idb'
import { SyncError } from '../errors.js'
import type { WatchRecord } from '../records/types.js'
import { sortChunks } from './memoryCache.js'
import type { DocCache, DocCacheChunk, OutboxEntry, RecordCache } from './types.js'

export interface IndexedDBCacheOptions {
  /** @default 'syncline' */
  dbName?: string
}

interface StoredDocChunk {
  documentId: string
  key: string
  kind: DocCacheChunk['kind']
  data: Uint8Array
  savedAt: number
}

interface SynclineDB extends DBSchema {
  records: { key: string; value: { key: string; records: WatchRecord<unknown>[]; savedAt: number } }
  /** Version 2: document chunks, keyed by [documentId, chunk key]. */
  docChunks: { key: [string, string]; value: StoredDocChunk }
  /** Version 3: unsent record writes, keyed by [watch key, entry id]. */
  outbox: { key: [string, string]; value: { key: string; entry: OutboxEntry<unknown> } }
}

/**
 * Bump when the schema changes and add a step to `upgrade`; steps only ever add or migrate
 * stores, so an upgrade never drops a user's data.
 */
const SCHEMA_VERSION = 3

interface DocChangeMessage {
  documentId: string
  keys: string[]
}

/** Another tab cleared the database (`clear()`): what it showed is gone. */
interface ClearedMessage {
  cleared: true
}

/** A persistent cache in IndexedDB, so the next page load paints before the network answers. */
export function createIndexedDBCache(options: IndexedDBCacheOptions = {}): RecordCache & DocCache {
  const dbName = options.dbName ?? 'syncline'
  let db: Promise<IDBPDatabase<SynclineDB>> | null = null
  const docListeners = new Set<(documentId: string, keys: readonly string[]) => void>()
  const clearedListeners = new Set<() => void>()
  /** Tells other tabs about document writes and clears; created on first use, never at import time. */
  let channel: BroadcastChannel | null = null
  const outboxListeners = new Set<(key: string) => void>()

  // The wrapper is fetched as soon as a cache exists (a provider makes one on its first
  // render), so the first read does not wait for it in series; it is not in the page's
  // initial JS because it is a tenth of a records-only app.
  const idb = typeof indexedDB === 'undefined' ? null : import('idb')
  /** `close()` ran: nothing opens the database again until it is used again. */
  let closed = false
  const open = (): Promise<IDBPDatabase<SynclineDB>> => {
    closed = false
    if (typeof indexedDB === 'undefined') {
      return Promise.reject(new SyncError('unavailable', 'IndexedDB is not available here; use createMemoryCache()'))
    }
    db ??= (idb ?? import('idb')).then(({ openDB }) => openDB<SynclineDB>(dbName, SCHEMA_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) database.createObjectStore('records', { keyPath: 'key' })
        // Version 2 adds documents and leaves 'records' (and its data) as it was.
        if (oldVersion < 2) database.createObjectStore('docChunks', { keyPath: ['documentId', 'key'] })
        // Version 3 adds the record outbox; 'records' and 'docChunks' stay as they were.
        if (oldVersion < 3) database.createObjectStore('outbox', { keyPath: ['key', 'entry.id'] })
      },
      // Another tab wants a newer schema: let it, and reopen lazily on next use.
      blocking() {
        void db?.then((database) => database.close())
        db = null
      },
    }))
    return db
  }
  // The database opens as soon as the wrapper is here, not at the first read: that read comes
  // after the app's first render, and the open (several ms) ran in series with it (bench case 4).
  // A failed load or open is reported by the first call that needs the database, not as unhandled.
  idb
    ?.then(() => {
      if (!closed) return open()
    })
    .catch(() => {})

  const deliver = (documentId: string, keys: readonly string[]): void => {
    for (const listener of [...docListeners]) listener(documentId, keys)
  }

  const ensureChannel = (): BroadcastChannel | null => {
    // Without IndexedDB there is nothing to announce (and in Node an open channel would
    // keep the process alive).
    if (channel === null && typeof BroadcastChannel !== 'undefined' && typeof indexedDB !== 'undefined') {
      channel = new BroadcastChannel(`syncline-docs:${dbName}`)
      channel.onmessage = (event: MessageEvent<unknown>) => {
        // One channel for every kind of news; a tab on an older version ignores the kinds it does not know.
        const message = event.data as (Partial<DocChangeMessage & ClearedMessage> & { outbox?: unknown }) | null
        if (message?.cleared === true) for (const listener of [...clearedListeners]) listener()
        else if (typeof message?.documentId === 'string' && Array.isArray(message.keys)) deliver(message.documentId, message.keys)
        if (typeof message?.outbox === 'string') deliverOutbox(message.outbox)
      }
    }
    return channel
  }

  const deliverOutbox = (key: string): void => {
    for (const listener of [...outboxListeners]) listener(key)
  }

  const outboxChanged = (key: string): void => {
    ensureChannel()?.postMessage({ outbox: key })
    // BroadcastChannel does not echo to its sender: tell this cache's listeners too.
    queueMicrotask(() => deliverOutbox(key))
  }

  /** Every chunk of one document: [id] sorts before [id, key], and any array after any string. */
  const docRange = (documentId: string): IDBKeyRange => IDBKeyRange.bound([documentId], [documentId, []])

  return {
    async loadRecords<V>(key: string) {
      const entry = await (await open()).get('records', key)
      return entry?.records as WatchRecord<V>[] | undefined
    },
    async saveRecords(key, records) {
      // Optimistic fields never reach the cache: only the server's word is cached.
      await (await open()).put('records', { key, records: records as WatchRecord<unknown>[], savedAt: Date.now() })
    },
    async deleteRecords(key) {
      await (await open()).delete('records', key)
    },
    async loadOutbox<V>(key: string) {
      // [key] sorts before [key, id], and any array after any string: this watch's entries, by id.
      const stored = await (await open()).getAll('outbox', IDBKeyRange.bound([key], [key, []]))
      return stored.map((row) => row.entry as OutboxEntry<V>)
    },
    async saveOutboxEntry(key, entry) {
      await (await open()).put('outbox', { key, entry: entry as OutboxEntry<unknown> })
      outboxChanged(key)
    },
    async deleteOutboxEntry(key, id) {
      await (await open()).delete('outbox', [key, id])
      outboxChanged(key)
    },
    watchOutbox(listener) {
      ensureChannel()
      outboxListeners.add(listener)
      return () => {
        outboxListeners.delete(listener)
      }
    },
    async loadDoc(documentId) {
      const stored = await (await open()).getAll('docChunks', docRange(documentId))
      return sortChunks(stored.map(({ key, kind, data }) => ({ key, kind, data })))
    },
    async saveDocChunk(documentId, chunk, replaces = []) {
      const database = await open()
      // One transaction: the snapshot appears and the chunks it replaces vanish together.
      const tx = database.transaction('docChunks', 'readwrite')
      const writes: Promise<unknown>[] = replaces.map((key) => tx.store.delete([documentId, key]))
      writes.push(tx.store.put({ documentId, key: chunk.key, kind: chunk.kind, data: chunk.data, savedAt: Date.now() }))
      await Promise.all([...writes, tx.done])
      const keys = [chunk.key]
      ensureChannel()?.postMessage({ documentId, keys } satisfies DocChangeMessage)
      // BroadcastChannel does not echo to its sender: tell this cache's own listeners too
      // (another connection in this tab may have the document open).
      queueMicrotask(() => deliver(documentId, keys))
    },
    async deleteDoc(documentId) {
      await (await open()).delete('docChunks', docRange(documentId))
    },
    async clear() {
      const database = await open()
      // Every store there is, so stores added by later schema versions are cleared too.
      const names = [...database.objectStoreNames]
      const tx = database.transaction(names, 'readwrite')
      await Promise.all([...names.map((name) => tx.objectStore(name).clear()), tx.done])
      ensureChannel()?.postMessage({ cleared: true } satisfies ClearedMessage)
      // Before it resolves, so a clearing client can tell its own clear from another's.
      for (const listener of [...clearedListeners]) listener()
    },
    watchCleared(listener) {
      ensureChannel()
      clearedListeners.add(listener)
      return () => {
        clearedListeners.delete(listener)
      }
    },
    watchDocs(listener) {
      ensureChannel()
      docListeners.add(listener)
      return () => {
        docListeners.delete(listener)
      }
    },
    close() {
      closed = true
      void db?.then((database) => database.close())
      db = null
      channel?.close()
      channel = null
      docListeners.clear()
      clearedListeners.clear()
      outboxListeners.clear()
    },
  }
}
