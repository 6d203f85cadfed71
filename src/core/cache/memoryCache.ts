import type { WatchRecord } from '../records/types.js'
import type { DocCache, DocCacheChunk, OutboxEntry, RecordCache } from './types.js'

/** A cache that lives as long as the page (or process): for SSR, Node and tests. */
export function createMemoryCache(): RecordCache & DocCache {
  const records = new Map<string, readonly WatchRecord<unknown>[]>()
  const docs = new Map<string, Map<string, DocCacheChunk>>()
  const docListeners = new Set<(documentId: string, keys: readonly string[]) => void>()
  const clearedListeners = new Set<() => void>()
  const outboxes = new Map<string, Map<string, OutboxEntry<unknown>>>()
  const outboxListeners = new Set<(key: string) => void>()

  const announce = (documentId: string, keys: readonly string[]): void => {
    // Asynchronous, like a BroadcastChannel: a writer never hears its own write mid-write.
    queueMicrotask(() => {
      for (const listener of [...docListeners]) listener(documentId, keys)
    })
  }

  const outboxChanged = (key: string): Promise<void> => {
    queueMicrotask(() => {
      for (const listener of [...outboxListeners]) listener(key)
    })
    return Promise.resolve()
  }

  return {
    loadRecords: <V>(key: string) => Promise.resolve(records.get(key)?.slice() as WatchRecord<V>[] | undefined),
    saveRecords: (key, list) => {
      records.set(key, list.slice())
      return Promise.resolve()
    },
    deleteRecords: (key) => {
      records.delete(key)
      return Promise.resolve()
    },
    // Entries are copied in and out, as IndexedDB does: a caller changing one never changes the cache.
    loadOutbox: <V>(key: string) => Promise.resolve(structuredClone([...(outboxes.get(key)?.values() ?? [])].sort(byId)) as OutboxEntry<V>[]),
    saveOutboxEntry(key, entry) {
      outboxes.set(key, (outboxes.get(key) ?? new Map()).set(entry.id, structuredClone(entry)))
      return outboxChanged(key)
    },
    deleteOutboxEntry(key, id) {
      outboxes.get(key)?.delete(id)
      return outboxChanged(key)
    },
    watchOutbox(listener) {
      outboxListeners.add(listener)
      return () => {
        outboxListeners.delete(listener)
      }
    },
    loadDoc(documentId) {
      const chunks = [...(docs.get(documentId)?.values() ?? [])]
      return Promise.resolve(sortChunks(chunks.map(copyChunk)))
    },
    saveDocChunk(documentId, chunk, replaces = []) {
      let chunks = docs.get(documentId)
      if (!chunks) docs.set(documentId, (chunks = new Map()))
      for (const key of replaces) chunks.delete(key)
      // Copied: the caller may reuse its buffer, and a cache must not change under it.
      chunks.set(chunk.key, copyChunk(chunk))
      announce(documentId, [chunk.key])
      return Promise.resolve()
    },
    deleteDoc(documentId) {
      docs.delete(documentId)
      return Promise.resolve()
    },
    clear() {
      records.clear()
      docs.clear()
      outboxes.clear()
      // Before it resolves, so a clearing client can tell its own clear from another's.
      for (const listener of [...clearedListeners]) listener()
      return Promise.resolve()
    },
    watchCleared(listener) {
      clearedListeners.add(listener)
      return () => {
        clearedListeners.delete(listener)
      }
    },
    watchDocs(listener) {
      docListeners.add(listener)
      return () => {
        docListeners.delete(listener)
      }
    },
    close: () => {
      records.clear()
      docs.clear()
      docListeners.clear()
      clearedListeners.clear()
      outboxes.clear()
      outboxListeners.clear()
    },
  }
}

const byId = (a: OutboxEntry<unknown>, b: OutboxEntry<unknown>): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

function copyChunk(chunk: DocCacheChunk): DocCacheChunk {
  return { key: chunk.key, kind: chunk.kind, data: chunk.data.slice() }
}

/** Snapshots first (loading a base before its increments is cheaper), then by key. */
export function sortChunks(chunks: DocCacheChunk[]): DocCacheChunk[] {
  return chunks.sort((a, b) => (a.kind === b.kind ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.kind === 'snapshot' ? -1 : 1))
}
