import type { DocCache, RecordCache } from './types.js'

type Cache = RecordCache & DocCache

/**
 * A cache whose code loads on first use, so that a page's initial JS does not carry it: a
 * read waits for the load, and everything a cache answers is async anyway. The load starts
 * at once (while the page renders), so the first read does not wait for it in series. A failed
 * load fails the calls waiting for it; the next call tries again (a chunk fetch may succeed
 * later). `watch*` listeners are attached once it has loaded; unsubscribing before works too.
 */
export function lazyCache(load: () => Promise<Cache>): Cache {
  let cache: Cache | null = null
  let loading: Promise<Cache> | null = null
  let closed = false
  /** Listeners given before the cache loaded, attached when it does. */
  const waiting = new Set<(loaded: Cache) => void>()

  const ready = (): Promise<Cache> => {
    if (cache !== null) return Promise.resolve(cache)
    loading ??= load().then(
      (loaded) => {
        cache = loaded
        if (closed) loaded.close()
        for (const attach of [...waiting]) attach(loaded)
        waiting.clear()
        return loaded
      },
      (error: unknown) => {
        loading = null
        throw error
      },
    )
    return loading
  }
  ready().catch(() => {}) // reported by the first call that needs the cache

  const watch =
    <A extends unknown[]>(subscribe: (loaded: Cache, listener: (...args: A) => void) => () => void) =>
    (listener: (...args: A) => void): (() => void) => {
      let unsubscribe: (() => void) | null = null
      const attach = (loaded: Cache): void => {
        unsubscribe = subscribe(loaded, listener)
      }
      if (cache !== null) attach(cache)
      else waiting.add(attach)
      return () => {
        waiting.delete(attach)
        unsubscribe?.()
        unsubscribe = null
      }
    }

  return {
    loadRecords: (key) => ready().then((loaded) => loaded.loadRecords(key)),
    saveRecords: (key, records) => ready().then((loaded) => loaded.saveRecords(key, records)),
    deleteRecords: (key) => ready().then((loaded) => loaded.deleteRecords(key)),
    clear: () => ready().then((loaded) => loaded.clear()),
    watchCleared: watch((loaded, listener: () => void) => loaded.watchCleared?.(listener) ?? (() => {})),
    loadOutbox: (key) => ready().then((loaded) => loaded.loadOutbox(key)),
    saveOutboxEntry: (key, entry) => ready().then((loaded) => loaded.saveOutboxEntry(key, entry)),
    deleteOutboxEntry: (key, id) => ready().then((loaded) => loaded.deleteOutboxEntry(key, id)),
    watchOutbox: watch((loaded, listener: (key: string) => void) => loaded.watchOutbox(listener)),
    loadDoc: (documentId) => ready().then((loaded) => loaded.loadDoc(documentId)),
    saveDocChunk: (documentId, chunk, replaces) => ready().then((loaded) => loaded.saveDocChunk(documentId, chunk, replaces)),
    deleteDoc: (documentId) => ready().then((loaded) => loaded.deleteDoc(documentId)),
    watchDocs: watch((loaded, listener: (documentId: string, keys: readonly string[]) => void) => loaded.watchDocs(listener)),
    close() {
      closed = true
      cache?.close()
    },
  }
}
