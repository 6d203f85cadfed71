import type { DBSchema, IDBPDatabase } from 'idb'
import { openDB } from 'idb'
import { SyncError } from '../errors.js'
import type { WatchRecord } from '../records/types.js'
import type { RecordCache } from './types.js'

export interface IndexedDBCacheOptions {
  /** @default 'syncline' */
  dbName?: string
}

interface SynclineDB extends DBSchema {
  records: { key: string; value: { key: string; records: WatchRecord<unknown>[]; savedAt: number } }
}

/**
 * Bump when the schema changes and add a step to `upgrade`; steps only ever add or migrate
 * stores, so an upgrade never drops a user's data.
 */
const SCHEMA_VERSION = 1

/** A persistent cache in IndexedDB, so the next page load paints before the network answers. */
export function createIndexedDBCache(options: IndexedDBCacheOptions = {}): RecordCache {
  const dbName = options.dbName ?? 'syncline'
  let db: Promise<IDBPDatabase<SynclineDB>> | null = null

  const open = (): Promise<IDBPDatabase<SynclineDB>> => {
    if (typeof indexedDB === 'undefined') {
      return Promise.reject(new SyncError('unavailable', 'IndexedDB is not available here; use createMemoryCache()'))
    }
    db ??= openDB<SynclineDB>(dbName, SCHEMA_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) database.createObjectStore('records', { keyPath: 'key' })
      },
      // Another tab wants a newer schema: let it, and reopen lazily on next use.
      blocking() {
        void db?.then((database) => database.close())
        db = null
      },
    })
    return db
  }

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
    close() {
      void db?.then((database) => database.close())
      db = null
    },
  }
}
