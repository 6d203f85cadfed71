import { SyncError, toSyncError } from '../errors.js'
import type { HistoryPager } from './historyPager.js'
import type { WatchRecord } from './types.js'

/** How many older records one `loadOlder()` asks for, unless `historyPageSize` says otherwise. */
export const DEFAULT_HISTORY_PAGE_SIZE = 100

/** @throws SyncError `'bad-input'` for a page size that is not a positive integer. */
export function checkHistoryPageSize(size: number | undefined): number {
  const limit = size ?? DEFAULT_HISTORY_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) throw new SyncError('bad-input', `historyPageSize must be a positive integer (got ${String(limit)})`)
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
  #pager: HistoryPager<V> | null = null
  /** The first call, while the pager is still loading: later calls share it. */
  #first: Promise<boolean> | null = null
  /** undefined: no snapshot has ended yet; null: the snapshot held everything. */
  #cursor: string | null | undefined = undefined

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

  loadOlder(): Promise<boolean> {
    if (this.#first) return this.#first
    if (this.#pager) return this.#pager.loadOlder()
    this.#first = this.#load(this.#cursor)
      .then(
        (pager) => (this.#pager = pager),
        (error: unknown) => {
          throw toSyncError(error, 'network')
        },
      )
      .then((pager) => pager.loadOlder())
      .finally(() => {
        this.#first = null
      })
    return this.#first
  }
}
