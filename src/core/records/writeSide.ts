import { newTid } from '../../wire/tid.js'
import type { Environment } from '../environment.js'
import { SyncError } from '../errors.js'
import type { ConfirmedRecords } from './confirmedRecords.js'
import type { OptimisticRecords } from './optimisticRecords.js'
import { checkRkey } from './recordKey.js'
import type { OutboxEntry } from './outbox.js'
import { newOutboxEntry } from './outboxEntry.js'
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
 * writers) in a chunk of its own, fetched when the store starts (after first paint). A write
 * made before it has arrived shows at once through the optimistic layer, is stored in the
 * cache, and is handed over, in call order, when it does.
 */
interface EarlyWrite {
  readonly entry: OutboxEntry<unknown>
  /** In the cache already (a reload before the module arrives keeps it). */
  saved: boolean
  /** Settles with what the loaded module's write settles with. */
  readonly hand: (writes: RecordWrites<unknown>) => void
  readonly drop: () => void
}

export class WriteSide<V> {
  readonly #o: WriteSideOptions<V>
  #writes: RecordWrites<V> | null = null
  #loading: Promise<RecordWrites<V>> | null = null
  /** Writes made before the module arrived, in order; each is already in the cache. */
  #early: EarlyWrite[] = []
  #unlistenOnline: (() => void) | null = null
  #running = false

  constructor(options: WriteSideOptions<V>) {
    this.#o = options
  }

  /** Writes not accepted yet and not refused (early puts are counted by the optimistic layer). */
  get pendingCount(): number {
    return (this.#writes?.pendingCount ?? 0) + this.#early.filter((write) => write.entry.op === 'delete').length
  }

  /** Every write is in the cache. */
  get isSavedLocally(): boolean {
    return this.#early.every((write) => write.saved) && (this.#writes?.isSavedLocally ?? true)
  }

  /** Every write was accepted (none queued, pending or refused). */
  get isEmpty(): boolean {
    return this.#early.length === 0 && (this.#writes?.size ?? 0) === 0
  }

  start(): void {
    this.#running = true
    if (this.#writes) return this.#writes.start()
    // Fetched as soon as the store runs, not at the first write: a browser keeps a failed
    // dynamic import failed until the page reloads, so a module first asked for while offline
    // could never send the write made then. It stays out of the initial JS all the same.
    this.#load()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#unlistenOnline?.()
    this.#unlistenOnline = null
    await this.#writes?.stop()
  }

  connectionUp(): void {
    if (this.#writes) this.#writes.connectionUp()
    else if (this.#early.length > 0) this.#load() // the network is back: a chunk that failed to load may load now
  }

  merge(records: WatchRecord<V>[]): WatchRecord<V>[] {
    if (this.#writes) return this.#writes.merge(records)
    const deleted = new Set(this.#early.filter((write) => write.entry.op === 'delete').map((write) => write.entry.rkey))
    return deleted.size === 0 ? records : records.filter((record) => !deleted.has(record.rkey))
  }

  put(value: V, options?: { rkey?: string }): Promise<WatchRecord<V>> {
    const nowUs = Date.now() * 1000
    const rkey = options?.rkey ?? newTid(nowUs)
    checkRkey(rkey)
    const entry = newOutboxEntry('put', rkey, value, this.#writes?.did ?? this.#o.options.did, nowUs)
    if (this.#writes) return this.#writes.put(entry)
    const did = entry.did ?? ''
    this.#o.optimistic.add({ rkey, did, value, time_us: nowUs }, this.#o.collection, nowUs)
    return this.#queueEarly(entry, (writes) => {
      this.#o.optimistic.remove(rkey, did)
      return writes.put(entry)
    })
  }

  delete(rkey: string): Promise<void> {
    checkRkey(rkey)
    const nowUs = Date.now() * 1000
    const did = this.#writes?.did ?? this.#o.options.did ?? [...this.#o.confirmed.values()].find((record) => record.rkey === rkey)?.did
    const entry = newOutboxEntry('delete', rkey, undefined, did, nowUs)
    return this.#writes ? this.#writes.delete(entry) : this.#queueEarly(entry, (writes) => writes.delete(entry))
  }

  retry(rkey: string): void {
    this.#writes?.retry(rkey)
  }

  discard(rkey: string): void {
    if (this.#writes) return this.#writes.discard(rkey)
    // Made before the module arrived: drop the placeholder and the write, here and in the cache.
    const { cache, cacheKey, url, onIgnoredError } = this.#o.options
    this.#o.optimistic.remove(rkey)
    for (const early of this.#early.filter((write) => write.entry.rkey === rkey)) {
      early.drop()
      cache?.deleteOutboxEntry(cacheKey ?? url, early.entry.id).catch((error: unknown) => onIgnoredError?.(error))
    }
    this.#early = this.#early.filter((write) => write.entry.rkey !== rkey)
    this.#o.changed()
  }

  /**
   * A write before the module has arrived: stored in the cache at once (so a reload keeps it
   * even if the module never loads here), then handed to the module, in call order.
   */
  #queueEarly<T>(entry: OutboxEntry<unknown>, write: (writes: RecordWrites<V>) => Promise<T>): Promise<T> {
    const result = new Promise<T>((resolve, reject) => {
      const early: EarlyWrite = {
        entry,
        saved: false,
        hand: (writes) => write(writes as RecordWrites<V>).then(resolve, reject),
        drop: () => reject(new SyncError('aborted', `The write of ${entry.rkey} was discarded`)),
      }
      this.#early.push(early)
      const { cache, cacheKey, url, onIgnoredError } = this.#o.options
      cache?.saveOutboxEntry(cacheKey ?? url, entry).then(
        () => {
          early.saved = true
          this.#o.changed()
        },
        (error: unknown) => onIgnoredError?.(error),
      )
    })
    result.catch(() => {}) // a write may be fired and forgotten: no unhandled rejection
    this.#o.changed()
    this.#load()
    return result
  }

  #load(): void {
    if (this.#loading !== null) return
    this.#loading = import('./recordWrites.js').then(
      ({ RecordWrites }) => {
        const writes = new RecordWrites<V>(this.#o)
        this.#writes = writes
        this.#unlistenOnline?.()
        this.#unlistenOnline = null
        // Handed over before the module reads the cache, so they keep their promises.
        for (const early of this.#early.splice(0)) early.hand(writes as RecordWrites<unknown>)
        if (this.#running) writes.start()
        this.#o.changed()
        return writes
      },
      (error: unknown) => {
        // A failed chunk load (offline, or right after a deploy): the writes wait, in the cache,
        // and loading is tried again when the device is back online or the connection is up.
        this.#loading = null
        this.#o.options.onIgnoredError?.(error)
        this.#unlistenOnline ??= this.#o.environment.onOnline(() => this.#load())
        throw error
      },
    )
    this.#loading.catch(() => {})
  }

}
