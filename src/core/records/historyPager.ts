import { SyncError, toSyncError } from '../errors.js'
import type { RecordPage } from './listRecordsPage.js'
import type { WatchRecord } from './types.js'

/** The first ranks of `compareNewestFirst`: enough to place a record in the server's order. */
type Position = Pick<WatchRecord<unknown>, 'time_us' | 'rkey' | 'did'>

export interface HistoryPagerOptions<V> {
  /** Fetches the page that starts at `cursor`. */
  fetchPage(cursor: string): Promise<RecordPage<V>>
  /** Puts a page's records in the store. */
  merge(records: readonly WatchRecord<V>[]): void
  /** Where the last snapshot ended, when the pager comes after it (undefined: none yet). */
  cursor?: string | null | undefined
  /**
   * The server's order, `compareNewestFirst`: passed in by the store, which has it, so this
   * lazily loaded code shares no module with the page (see wire/watchRecords.ts).
   */
  serverOrder(a: Position, b: Position): number
}

/**
 * The store's way back in time: the watch's snapshot is the newest page, and each
 * `loadOlder()` fetches the next one through listRecords with the cursor the last page (or the
 * snapshot) ended with.
 *
 * It also says what a new snapshot may evict after a reconnect. A snapshot only covers the
 * newest page, so only that window is reconciled: a record the snapshot did not send is
 * evicted if it is at or newer than the snapshot's oldest record (it was deleted meanwhile),
 * and kept if it is older, down to the oldest record a loaded page brought (those pages are
 * the user's, and the next `loadOlder()` goes on from where they ended). Anything older than
 * that came from the cache unverified and is evicted, as before paging existed. Windows are
 * in the server's order (`compareNewestFirst`), whatever `compareRecords` the store shows.
 */
export class HistoryPager<V> {
  readonly #options: HistoryPagerOptions<V>
  /** undefined: no snapshot has ended yet; null: nothing older exists. */
  #cursor: string | null | undefined = undefined
  /** The oldest record a loaded page brought, while those pages reach past the snapshot. */
  #floor: Position | undefined = undefined
  #snapshotOldest: Position | undefined = undefined
  #inFlight: Promise<boolean> | null = null
  /**
   * Bumped when a snapshot moves where history goes on, so a page fetched from the old cursor
   * is dropped (merged, it could leave a gap between the new window and the page).
   */
  #generation = 0

  constructor(options: HistoryPagerOptions<V>) {
    this.#options = options
    this.#cursor = options.cursor
  }

  /** Where the next `loadOlder()` pages from (see `#cursor`). */
  get cursor(): string | null | undefined {
    return this.#cursor
  }

  beginSnapshot(): void {
    this.#snapshotOldest = undefined
  }

  snapshotRecord(record: WatchRecord<V>): void {
    if (this.#snapshotOldest === undefined || this.#options.serverOrder(record, this.#snapshotOldest) > 0) this.#snapshotOldest = record
  }

  /**
   * A snapshot ended with `cursor`. Returns which records it did not send may stay (older
   * pages), or undefined when everything it did not send must go.
   */
  endSnapshot(cursor: string | null | undefined): ((record: WatchRecord<V>) => boolean) | undefined {
    const oldest = this.#snapshotOldest
    this.#snapshotOldest = undefined
    if (!cursor) {
      // The snapshot holds every record there is: nothing older, nothing to keep.
      this.#cursor = null
      this.#floor = undefined
      this.#generation++
      return undefined
    }
    const floor = this.#floor
    // No loaded page reaches past this snapshot (or the pager loaded while it was under way,
    // and did not see its records): its cursor is where history goes on.
    if (floor === undefined || oldest === undefined || this.#cursor === undefined || this.#options.serverOrder(floor, oldest) <= 0) {
      this.#cursor = cursor
      this.#floor = undefined
      this.#generation++
      return undefined
    }
    const { serverOrder } = this.#options
    return (record) => serverOrder(record, oldest) > 0 && serverOrder(record, floor) <= 0
  }

  /** Access ended (`member.removed`): forget the history; a page on its way is dropped. */
  reset(): void {
    this.#cursor = undefined
    this.#floor = undefined
    this.#generation++
  }

  /** See `RecordStore.loadOlder`. Concurrent calls share one request. */
  loadOlder(): Promise<boolean> {
    this.#inFlight ??= this.#fetchNext().finally(() => {
      this.#inFlight = null
    })
    return this.#inFlight
  }

  async #fetchNext(): Promise<boolean> {
    const cursor = this.#cursor
    if (cursor === undefined) {
      throw new SyncError('unavailable', 'loadOlder() needs the first snapshot: call it once the store has records from the server (status "live")')
    }
    if (cursor === null) return false
    const generation = this.#generation
    let page: RecordPage<V>
    try {
      page = await this.#options.fetchPage(cursor)
    } catch (error) {
      throw toSyncError(error, 'network')
    }
    // A snapshot that came meanwhile moved the cursor; this page is stale (true: try again).
    if (generation !== this.#generation) return this.#cursor !== null && this.#cursor !== undefined
    this.#cursor = page.cursor
    let oldest = this.#floor
    for (const record of page.records) if (oldest === undefined || this.#options.serverOrder(record, oldest) > 0) oldest = record
    this.#floor = oldest
    this.#options.merge(page.records)
    // A page of malformed records only is still a step back, if the server has more.
    return page.records.length > 0 || page.cursor !== null
  }
}
