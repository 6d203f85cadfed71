import { SyncError } from '../errors.js'
import { DEFAULT_HISTORY_PAGE_SIZE, HistoryPager } from './historyPager.js'
import { fetchRecordPage } from './listRecordsPage.js'
import type { SchemaGate } from './schemaGate.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

/**
 * The history pager of one store: pages come from the watch's listRecords, with the same
 * ticket the watch uses (listRecords needs the same read access as watching), through the
 * store's schema, and go to `merge`.
 * @throws SyncError `'bad-input'` for a `historyPageSize` that is not a positive integer.
 */
export function olderRecords<V>(
  watchUrl: string,
  collection: string,
  options: RecordStoreOptions<V>,
  gate: SchemaGate<V>,
  merge: (records: readonly WatchRecord<V>[]) => void,
): HistoryPager<V> {
  const limit = options.historyPageSize ?? DEFAULT_HISTORY_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SyncError('bad-input', `historyPageSize must be a positive integer (got ${String(limit)})`)
  }
  const report = (error: SyncError): void => options.onIgnoredError?.(error)
  return new HistoryPager<V>({
    merge,
    fetchPage: async (cursor) => {
      const mint = options.mintTicket
      const ticket = typeof mint === 'function' ? await mint() : mint
      const page = await fetchRecordPage<V>({
        watchUrl,
        collection,
        cursor,
        limit,
        ticket,
        fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      })
      page.ignored.forEach(report)
      return { ...page, records: await gate.records(page.records, report) }
    },
  })
}
