import { SyncError } from '../errors.js'
import { HistoryPager } from './historyPager.js'
import { fetchOlderPage } from './listRecordsPage.js'
import type { SchemaPipe } from './schemaPipe.js'
import type { RecordStoreOptions, WatchEvent, WatchRecord } from './types.js'

/** How many older records one `loadOlder()` asks for, unless `historyPageSize` says otherwise. */
export const DEFAULT_HISTORY_PAGE_SIZE = 100

/**
 * The history pager of one store, loaded on its first `loadOlder()`: pages come from the
 * watch's listRecords, with the same ticket the watch uses (listRecords needs the same read
 * access as watching), through the store's schema, and reach the store as `record.created`
 * events (an upsert that also settles optimistic entries). `cursor` is where the
 * last snapshot ended (undefined: none yet).
 * @throws SyncError `'bad-input'` for a `historyPageSize` that is not a positive integer.
 */
export function olderRecords<V>(
  watchUrl: string,
  collection: string,
  options: RecordStoreOptions<V>,
  gate: SchemaPipe<V>,
  cursor: string | null | undefined,
  apply: (batch: readonly WatchEvent<V>[]) => void,
  /** `compareNewestFirst` (see HistoryPagerOptions.serverOrder). */
  serverOrder: (a: WatchRecord<V>, b: WatchRecord<V>) => number,
): HistoryPager<V> {
  const limit = options.historyPageSize ?? DEFAULT_HISTORY_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) throw new SyncError('bad-input', `historyPageSize must be a positive integer (got ${String(limit)})`)
  return new HistoryPager<V>({
    merge: (records) => apply(records.map((record) => ({ kind: 'record.created', data: { record } }))),
    cursor,
    serverOrder,
    fetchPage: (from) => fetchOlderPage({ watchUrl, collection, options, gate, cursor: from, limit }) })
}
