import { newTid } from '../../wire/tid.js'
import { clearedError } from '../cache/clearableCache.js'
import type { Environment } from '../environment.js'
import type { ConfirmedRecords } from './confirmedRecords.js'
import type { OptimisticRecords } from './optimisticRecords.js'
import { newOutboxEntry } from './outboxEntry.js'
import { checkRkey } from './recordKey.js'
import type { RecordWrites } from './recordWrites.js'
import { OutboxView } from './outboxView.js'
import type { OutboxEntry } from '../cache/types.js'
import type { TapPoint } from '../eventTap.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

export interface WriteSideOptions<V> {
  options: RecordStoreOptions<V>
  url: string
  collection: string
  environment: Environment
  confirmed: ConfirmedRecords<V>
  /** Where a put made before the write module has arrived shows meanwhile. */
  optimistic: OptimisticRecords<V>
  isConnected(): boolean
  backoffDelay(attempt: number): number
  changed(): void
  /** Where outbox changes are reported (`client.onEvent`). */
  tap?: TapPoint | undefined
}

/**
 * The record store's writes, with the heavy part (`recordWrites.ts`: outbox, sender,
 * writers) in a chunk of its own, fetched when the store starts, after first paint. It is
 * fetched then rather than at the first write because a browser keeps a failed dynamic import
 * failed until the page reloads: asked for first while offline, it could never send. A put in
 * the moment before it arrives shows at once through the optimistic layer and is queued, in
 * call order, when it does.
 */
export class WriteSide<V> {
  readonly #o: WriteSideOptions<V>
  #writes: RecordWrites<V> | null = null
  #loading: Promise<RecordWrites<V>> | null = null
  #running = false
  /** Set by `clearLocalData()`: the user left, so nothing more is shown, counted or accepted. */
  #forgotten = false
  /** Writes made before the module arrived: shown, but not in the cache yet. */
  #waiting = 0
  readonly #view: OutboxView<V>
  /** The cache's outbox as the store read it for its first paint: shown until the module takes it over. */
  #preloaded: readonly OutboxEntry<unknown>[] = []

  constructor(options: WriteSideOptions<V>) {
    this.#o = options
    this.#view = new OutboxView<V>(options.collection)
  }

  /** Writes not accepted yet and not refused (a put waiting for the module is counted by the optimistic layer). */
  get pendingCount(): number {
    if (this.#forgotten) return 0
    return this.#writes?.pendingCount ?? this.#preloaded.filter((entry) => !entry.failed).length
  }

  /** Every write is in the cache. */
  get isSavedLocally(): boolean {
    return this.#forgotten || (this.#waiting === 0 && (this.#writes?.isSavedLocally ?? true))
  }

  /** Every write was accepted (none queued, pending or refused). */
  get isEmpty(): boolean {
    return this.#forgotten || (this.#writes?.size ?? this.#preloaded.length) === 0
  }

  /**
   * Shows the outbox entries the store read from the cache (the last session's or another
   * tab's writes) until the module arrives, which starts from them. Ignored once it is here.
   */
  preload(entries: readonly OutboxEntry<unknown>[]): void {
    if (this.#writes === null) this.#preloaded = entries
  }

  /** `after`: fetch the module only once it settles (the store's first paint from its cache). */
  start(after?: Promise<unknown>): void {
    this.#running = true
    if (this.#writes) this.#writes.start()
    else if (after === undefined) void this.#load().catch(() => {})
    else void after.then(() => (this.#running ? this.#load() : undefined)).catch(() => {})
  }

  /** Resolves once every write is in the cache, those made while the module was still on its way too. */
  async stop(): Promise<void> {
    this.#running = false
    const writes = this.#writes ?? (await this.#loading?.catch(() => null))
    await writes?.stop()
  }

  connectionUp(): void {
    this.#writes?.connectionUp()
  }

  merge(records: WatchRecord<V>[]): WatchRecord<V>[] {
    if (this.#forgotten) return records
    return this.#writes?.merge(records) ?? this.#view.merge(records, this.#preloaded, this.#o.options.did)
  }

  /** `clearLocalData()`: drops every write from view and count; later writes throw `'closed'`. The store stops next. */
  forget(): void {
    this.#forgotten = true
  }

  put(value: V, options?: { rkey?: string }): Promise<WatchRecord<V>> {
    if (this.#forgotten) throw clearedError()
    const nowUs = Date.now() * 1000
    const rkey = options?.rkey ?? newTid(nowUs)
    checkRkey(rkey)
    const entry = newOutboxEntry('put', rkey, value, this.#writes?.did ?? this.#o.options.did, nowUs)
    if (this.#writes) return this.#writes.put(entry)
    const did = entry.did ?? ''
    this.#o.optimistic.add({ rkey, did, value, time_us: nowUs }, this.#o.collection, nowUs)
    const queued = this.#then((writes) => {
      this.#o.optimistic.remove(rkey, did)
      return writes.put(entry)
    })
    this.#o.changed() // after #then counted it: until the module has it, it is not in the cache
    // The module could not load (offline at the very start): say so on the write, never leave it "sending".
    queued.catch((error: unknown) => {
      if (this.#writes === null && this.#o.optimistic.markFailed(rkey, error instanceof Error ? error : new Error(String(error)), did)) this.#o.changed()
    })
    return queued
  }

  delete(rkey: string): Promise<void> {
    if (this.#forgotten) throw clearedError()
    checkRkey(rkey)
    const did = this.#writes?.did ?? this.#o.options.did ?? [...this.#o.confirmed.values()].find((record) => record.rkey === rkey)?.did
    const entry = newOutboxEntry('delete', rkey, undefined, did, Date.now() * 1000)
    return this.#writes ? this.#writes.delete(entry) : this.#then((writes) => writes.delete(entry))
  }

  retry(rkey: string): void {
    this.#writes?.retry(rkey)
  }

  discard(rkey: string): void {
    if (this.#writes) return this.#writes.discard(rkey)
    if (this.#o.optimistic.remove(rkey)) this.#o.changed()
    void this.#then((writes) => writes.discard(rkey), false)
  }

  /** Runs `write` once the module is here; `stored` writes count as not yet in the cache meanwhile. */
  #then<T>(write: (writes: RecordWrites<V>) => T | Promise<T>, stored = true): Promise<T> {
    if (stored) this.#waiting++
    const handedOver = (): void => {
      if (stored) this.#waiting--
    }
    const result = this.#load().then(
      (writes) => {
        handedOver()
        return write(writes)
      },
      (error: unknown) => {
        handedOver()
        throw error
      },
    )
    result.catch(() => {}) // a write may be fired and forgotten: no unhandled rejection
    return result
  }

  #load(): Promise<RecordWrites<V>> {
    this.#loading ??= import('./recordWrites.js').then(
      ({ RecordWrites }) => {
        const writes = new RecordWrites<V>({ ...this.#o, view: this.#view, preloaded: this.#preloaded })
        this.#preloaded = []
        this.#writes = writes
        if (this.#running) writes.start()
        this.#o.changed()
        return writes
      },
      (error: unknown) => {
        this.#loading = null
        this.#o.options.onIgnoredError?.(error)
        throw error
      },
    )
    return this.#loading
  }
}
