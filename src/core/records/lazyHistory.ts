import { SyncError, toSyncError } from '../errors.js'
import type { HistoryPager } from './historyPager.js'
import type { WatchRecord } from './types.js'

/** How many older records one `loadOlder()` asks for, unless `historyPageSize` says otherwise. */
export const DEFAULT_HISTORY_PAGE_SIZE = 100

/** @throws SyncError `'bad-input'` for a page size that is not a positive integer. */
export function checkHistoryPageSize(size: number | undefined): number {
  const limit = size ?? DEFAULT_HISTORY_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) throw new SyncError('bad-input', `historyPageSize ${String(limit)} is not a positive integer`)
  return limit
}

/**
 * The store's side of history paging, small enough for every app: until the first
 * `loadOlder()` it only remembers the snapshot's cursor (and a snapshot evicts everything it
 * did not send, as there are no older pages to keep). The pager itself, which fetches pages
 * and reconciles windows from then on, loads with that first call.
 */
export class LazyHistory<V> {
  readonly #load: (cursor: string | null | undefined) => Promise<HistoryPager<V>>
  #pager: HistoryPager<V> | undefined
  #loading: Promise<HistoryPager<V>> | undefined
  /** undefined: no snapshot has ended yet; null: the snapshot held everything. */
  #cursor: string | null | undefined

  constructor(load: (cursor: string | null | undefined) => Promise<HistoryPager<V>>) {
    this.#load = load
  }

  beginSnapshot(): void {
    this.#pager?.beginSnapshot()
  }

  snapshotRecord(record: WatchRecord<V>): void {
    this.#pager?.snapshotRecord(record)
  }

  /** Which unsent records a finished snapshot keeps (see `HistoryPager.endSnapshot`). */
  endSnapshot(cursor: string | null | undefined): ((record: WatchRecord<V>) => boolean) | undefined {
    if (this.#pager) return this.#pager.endSnapshot(cursor)
    this.#cursor = cursor || null
    return undefined
  }

  reset(): void {
    this.#pager?.reset()
    this.#cursor = undefined
  }

  /** Calls made while the pager loads share its first request (the pager shares the ones after). */
  loadOlder(): Promise<boolean> {
    if (this.#pager) return this.#pager.loadOlder()
    this.#loading ??= this.#load(this.#cursor).then(
      (pager) => (this.#pager = pager),
      (error: unknown) => {
        this.#loading = undefined
        throw toSyncError(error, 'network')
      },
    )
    return this.#loading.then((pager) => pager.loadOlder())
  }
}
