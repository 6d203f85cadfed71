import { newTid } from '../../wire/tid.js'
import type { Environment } from '../environment.js'
import type { ConfirmedRecords } from './confirmedRecords.js'
import type { OptimisticRecords } from './optimisticRecords.js'
import { checkRkey } from './recordKey.js'
import type { RecordWrites } from './recordWrites.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

export interface WriteSideOptions<V> {
  options: RecordStoreOptions<V>
  url: string
  collection: string
  environment: Environment
  confirmed: ConfirmedRecords<V>
  /** Where a write made before the write side has arrived shows meanwhile. */
  optimistic: OptimisticRecords<V>
  isConnected(): boolean
  changed(): void
}

/**
 * The record store's writes, with the heavy part (`recordWrites.ts`: outbox, sender,
 * writers) loaded on first use: the first `put`/`delete`, or a cache that holds writes for
 * this watch (from the last session or another tab). A write made before that module has
 * arrived shows at once through the optimistic layer and is queued, in call order, when it does.
 */
export class WriteSide<V> {
  readonly #o: WriteSideOptions<V>
  #writes: RecordWrites<V> | null = null
  #loading: Promise<RecordWrites<V>> | null = null
  /** Writes waiting for the module. */
  #early = 0
  /** Records deleted before the module arrived: hidden meanwhile. */
  #earlyDeletes = new Set<string>()
  #unwatch: (() => void) | null = null
  #running = false

  constructor(options: WriteSideOptions<V>) {
    this.#o = options
  }

  /** Writes not accepted yet and not refused (early ones are counted by the optimistic layer). */
  get pendingCount(): number {
    return this.#writes?.pendingCount ?? 0
  }

  /** Every write is in the cache. */
  get isSavedLocally(): boolean {
    return this.#early === 0 && (this.#writes?.isSavedLocally ?? true)
  }

  /** Every write was accepted (none queued, pending or refused). */
  get isEmpty(): boolean {
    return this.#early === 0 && (this.#writes?.size ?? 0) === 0
  }

  start(): void {
    this.#running = true
    if (this.#writes) this.#writes.start()
    else this.#loadIfQueued()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#unwatch?.()
    this.#unwatch = null
    const writes = this.#writes ?? (await this.#loading?.catch(() => null))
    await writes?.stop()
  }

  connectionUp(): void {
    this.#writes?.connectionUp()
  }

  merge(records: WatchRecord<V>[]): WatchRecord<V>[] {
    if (this.#writes) return this.#writes.merge(records)
    return this.#earlyDeletes.size === 0 ? records : records.filter((record) => !this.#earlyDeletes.has(record.rkey))
  }

  put(value: V, options?: { rkey?: string }): Promise<WatchRecord<V>> {
    const nowUs = Date.now() * 1000
    const rkey = options?.rkey ?? newTid(nowUs)
    checkRkey(rkey)
    if (this.#writes) return this.#writes.put(value, rkey, nowUs)
    const did = this.#o.options.did ?? ''
    this.#o.optimistic.add({ rkey, did, value, time_us: nowUs }, this.#o.collection, nowUs)
    return this.#whenLoaded((writes) => {
      this.#o.optimistic.remove(rkey, did)
      return writes.put(value, rkey, nowUs)
    })
  }

  delete(rkey: string): Promise<void> {
    checkRkey(rkey)
    const nowUs = Date.now() * 1000
    if (this.#writes) return this.#writes.delete(rkey, nowUs)
    this.#earlyDeletes.add(rkey)
    return this.#whenLoaded((writes) => {
      this.#earlyDeletes.delete(rkey)
      return writes.delete(rkey, nowUs)
    })
  }

  retry(rkey: string): void {
    this.#writes?.retry(rkey)
  }

  discard(rkey: string): void {
    if (this.#writes) return this.#writes.discard(rkey)
    // Made before the module arrived: drop the placeholder now, and the write once it is queued.
    if (this.#o.optimistic.remove(rkey)) this.#o.changed()
    void this.#loading?.then((writes) => writes.discard(rkey), () => {})
  }

  #whenLoaded<T>(write: (writes: RecordWrites<V>) => Promise<T>): Promise<T> {
    this.#early++
    this.#o.changed()
    const loaded = this.#load().then((writes) => {
      this.#early--
      return write(writes)
    })
    loaded.catch(() => {}) // a write may be fired and forgotten: no unhandled rejection
    return loaded
  }

  #load(): Promise<RecordWrites<V>> {
    this.#loading ??= import('./recordWrites.js').then(
      ({ RecordWrites }) => {
        const writes = new RecordWrites<V>(this.#o)
        this.#writes = writes
        this.#unwatch?.()
        this.#unwatch = null
        if (this.#running) writes.start()
        this.#o.changed()
        return writes
      },
      (error: unknown) => {
        // A failed chunk load (offline right after a deploy) may work on the next write.
        this.#loading = null
        throw error
      },
    )
    return this.#loading
  }

  /** Loads the module when the cache holds writes for this watch: now, or later from another tab. */
  #loadIfQueued(): void {
    const { cache, cacheKey, url, onIgnoredError } = this.#o.options
    if (!cache || this.#unwatch !== null) return
    const key = cacheKey ?? url
    const load = (): void => void this.#load().catch((error: unknown) => onIgnoredError?.(error))
    this.#unwatch = cache.watchOutbox((changed) => {
      if (changed === key) load()
    })
    cache.loadOutbox(key).then(
      (entries) => {
        if (entries.length > 0) load()
      },
      (error: unknown) => onIgnoredError?.(error),
    )
  }
}
