import type { WatchRecord } from '../records/types.js'
import type { RecordCache } from './types.js'

/** A cache that lives as long as the page (or process): for SSR, Node and tests. */
export function createMemoryCache(): RecordCache {
  const records = new Map<string, readonly WatchRecord<unknown>[]>()
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
    close: () => records.clear(),
  }
}
