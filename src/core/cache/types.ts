import type { WatchRecord } from '../records/types.js'

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
  /** Releases connections (IndexedDB). The cache must not be used afterwards. */
  close(): void
}
