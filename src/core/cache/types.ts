import type { WatchRecord } from '../records/watchRecord.js'

/**
 * One record write the server has not accepted yet, kept in the cache so it survives a
 * reload. Structured-clone friendly (no Error objects): `lastError` is plain data.
 */
export interface OutboxEntry<V = unknown> {
  /** A TID made when the write was queued: entries are sent in `id` order. */
  readonly id: string
  readonly op: 'put' | 'delete'
  readonly rkey: string
  readonly value?: V
  /** The author, when the app told the store; otherwise the server's answer names it. */
  readonly did?: string
  /** When the write was made (microseconds), for the order of the optimistic view. */
  readonly time_us: number
  /** Sends tried so far. */
  readonly tries: number
  /** Refused by the server (4xx): waits for `retry` or `discard`. */
  readonly failed?: boolean
  readonly lastError?: { readonly code: string; readonly message: string; readonly status?: number }
}

/**
 * Where a record store keeps the last records it saw, so the next session paints at once.
 * `key` identifies one watch (by default its URL). Both caches implement this contract and
 * one contract test runs against each.
 */
export interface RecordCache {
  loadRecords<V>(key: string): Promise<WatchRecord<V>[] | undefined>
  /** Replaces everything stored under `key`. */
  saveRecords<V>(key: string, records: readonly WatchRecord<V>[]): Promise<void>
  deleteRecords(key: string): Promise<void>
  /**
   * Deletes everything stored through this cache — every store, not a list of known keys —
   * and tells `watchCleared` listeners (here and in other tabs) once it is done.
   */
  clear(): Promise<void>
  /**
   * Calls `listener` after `clear()` on this cache object (before that `clear()` resolves) or
   * on another one on the same storage (another tab). Optional for custom caches that no
   * other tab shares. Returns an unsubscribe function.
   */
  watchCleared?(listener: () => void): () => void
  /** Every outbox entry stored under `key` (one watch), oldest first (by `id`); `[]` when none. */
  loadOutbox<V>(key: string): Promise<OutboxEntry<V>[]>
  /** Adds or replaces (by `id`) one outbox entry, then tells `watchOutbox` listeners here and in other tabs. */
  saveOutboxEntry<V>(key: string, entry: OutboxEntry<V>): Promise<void>
  /** Removes one outbox entry (absent ids are skipped), then tells `watchOutbox` listeners. */
  deleteOutboxEntry(key: string, id: string): Promise<void>
  /**
   * Calls `listener` with the watch key after any outbox write through this cache or, where
   * `BroadcastChannel` exists, through another cache on the same database in another tab.
   * Returns an unsubscribe function.
   */
  watchOutbox(listener: (key: string) => void): () => void
  /** Releases connections (IndexedDB). The cache must not be used afterwards. */
  close(): void
}

/**
 * One stored piece of a document: a compacted `Automerge.save` (`'snapshot'`) or the
 * changes appended after it (`'incremental'`, from `Automerge.saveSince`). Loading every
 * chunk of a document, in any order, with `Automerge.loadIncremental` gives the document.
 */
export interface DocCacheChunk {
  /** Unique within the document; chosen by the writer so that it can tell its own writes. */
  readonly key: string
  readonly kind: 'snapshot' | 'incremental'
  readonly data: Uint8Array
}

/**
 * Where a document connection keeps documents between sessions, so a reload paints at once
 * and local changes the server has not acknowledged survive it.
 *
 * A document is a set of chunks. Writers append small incremental chunks as changes happen
 * and now and then compact: one snapshot that replaces exactly the chunks the writer has
 * merged. Two writers (two tabs) can therefore never drop each other's changes: a chunk a
 * writer has not seen is never in its `replaces` list.
 */
export interface DocCache {
  /** Every chunk stored for the document, snapshots first; `[]` when there is none. */
  loadDoc(documentId: string): Promise<DocCacheChunk[]>
  /**
   * Stores `chunk` and, in the same atomic step, deletes the chunks named in `replaces`
   * (keys that no longer exist are skipped). Then tells `watchDocs` listeners, here and in
   * other tabs.
   */
  saveDocChunk(documentId: string, chunk: DocCacheChunk, replaces?: readonly string[]): Promise<void>
  deleteDoc(documentId: string): Promise<void>
  /** Deletes every document (and everything else this cache keeps): see `RecordCache.clear`. */
  clear(): Promise<void>
  /**
   * Calls `listener` after any write to any document through this cache or, where
   * `BroadcastChannel` exists, through another cache on the same database in another tab.
   * `keys` are the chunks written, so a writer can ignore its own writes. Returns an
   * unsubscribe function.
   */
  watchDocs(listener: (documentId: string, keys: readonly string[]) => void): () => void
}
