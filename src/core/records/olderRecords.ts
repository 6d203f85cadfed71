import { HistoryPager } from './historyPager.js'
import { fetchOlderPage } from './listRecordsPage.js'
import type { SchemaPipe } from './schemaPipe.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

export interface OlderRecordsSource<V> {
  readonly watchUrl: string
  readonly collection: string
  readonly options: RecordStoreOptions<V>
  readonly gate: SchemaPipe<V>
  /** `historyPageSize`, checked. */
  readonly limit: number
  /** Where the last snapshot ended (see `HistoryPager`). */
  readonly cursor: string | null | undefined
  readonly merge: (records: readonly WatchRecord<V>[]) => void
}

/**
 * The history pager of one store, loaded on its first `loadOlder()`: pages come from the
 * watch's listRecords, with the same ticket the watch uses (listRecords needs the same read
 * access as watching), through the store's schema, and go to `merge`.
 */
export function olderRecords<V>(source: OlderRecordsSource<V>): HistoryPager<V> {
  const { watchUrl, collection, options, gate, limit, cursor, merge } = source
  return new HistoryPager<V>({ merge, cursor, fetchPage: (from) => fetchOlderPage({ watchUrl, collection, options, gate, cursor: from, limit }) })
}
