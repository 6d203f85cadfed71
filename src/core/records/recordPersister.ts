import type { RecordCache } from '../cache/types.js'
import type { Timers } from '../silenceWatch.js'
import type { WatchRecord } from './types.js'

/** Coalesces bursts of changes into one cache write. */
const CACHE_WRITE_DELAY_MS = 250

export interface RecordPersisterOptions<V> {
  cache: RecordCache
  /** One watch's key in the cache (by default its URL). */
  key: string
  /** Most records kept, from the start of `current()`. */
  maxRecords: number
  timers: Timers
  /**
   * The confirmed records in sort order; read when a write starts, so a burst of changes makes
   * one write. Copied then (the first `maxRecords`), so the array may change afterwards.
   */
  current(): readonly WatchRecord<V>[]
  /** What is in the cache caught up with the records (`isSaved` answers true again). */
  saved(): void
  error(error: unknown): void
}

/**
 * Keeps one watch's confirmed records in a `RecordCache`, as `DocPersister` keeps a document:
 * `load` gives the last session's records to paint at once, `schedule` saves soon (a burst
 * of changes makes one write), `clear` forgets them. Optimistic writes are never saved here:
 * they live in the outbox until the server confirms them.
 *
 * Writes run on one promise chain, so they land in order even when the cache is slow.
 */
export class RecordPersister<V> {
  readonly #options: RecordPersisterOptions<V>
  #timer: unknown = null
  #chain: Promise<void> = Promise.resolve()
  #dirty = false
  /** Saves wait for this (the last session's records being read); null when nothing is held. */
  #hold: Promise<void> | null = null

  constructor(options: RecordPersisterOptions<V>) {
    this.#options = options
  }

  /** The stored records, or undefined when there are none or the cache failed (reported to `error`). */
  async load(): Promise<WatchRecord<V>[] | undefined> {
    try {
      return await this.#options.cache.loadRecords<V>(this.#options.key)
    } catch (error) {
      this.#options.error(error)
      return undefined
    }
  }

  /** Everything confirmed so far is in the cache. */
  get isSaved(): boolean {
    return !this.#dirty
  }

  /**
   * Holds every save until `read` (the read of the last session's records) has settled. A save
   * before it would write what this session has so far (often nothing) over records nobody has
   * read yet: a slow cache and the write code's first change did exactly that.
   */
  holdUntil(read: Promise<unknown>): void {
    const hold: Promise<void> = read.then(
      () => this.#release(hold),
      () => this.#release(hold),
    )
    this.#hold = hold
  }

  /** Saves the current records soon, coalesced with a save already scheduled. */
  schedule(): void {
    this.#dirty = true
    if (this.#timer !== null || this.#hold !== null) return
    this.#timer = this.#options.timers.setTimeout(() => {
      this.#timer = null
      this.#write()
    }, CACHE_WRITE_DELAY_MS)
  }

  /** Writes a scheduled save now, and resolves when every write so far has landed (or failed and been reported). */
  async flush(): Promise<void> {
    if (this.#hold !== null) await this.#hold
    if (this.#timer !== null) {
      this.#options.timers.clearTimeout(this.#timer)
      this.#timer = null
      this.#write()
    }
    await this.#chain
  }

  /** Forgets the stored records (access was revoked). Failures go to `error`. */
  clear(): void {
    this.#options.cache.deleteRecords(this.#options.key).catch((error: unknown) => this.#options.error(error))
  }

  #release(hold: Promise<void>): void {
    if (this.#hold !== hold) return
    this.#hold = null
    if (this.#dirty) this.schedule()
  }

  #write(): void {
    const { cache, key, maxRecords } = this.#options
    const records = this.#options.current().slice(0, maxRecords)
    this.#chain = this.#chain
      .then(() => cache.saveRecords(key, records))
      .then(
        () => {
          // Only when no later change is waiting: otherwise the cache is still behind.
          if (this.#timer === null && this.#dirty) {
            this.#dirty = false
            this.#options.saved()
          }
        },
        (error: unknown) => this.#options.error(error),
      )
  }
}
