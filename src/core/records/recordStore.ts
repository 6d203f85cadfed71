import type { ConnectAttempt } from '../connectionDriver.js'
import { DeferredDriver } from '../deferredDriver.js'
import { LazyModule } from '../lazyModule.js'
import type { Environment } from '../environment.js'
import { defaultEnvironment } from '../environment.js'
import { SyncError } from '../errors.js'
import type { MachineState } from '../machine.js'
import { checkHeartbeatMs } from '../heartbeatOption.js'
import { Listeners } from '../subscribable.js'
import type { EventTap } from '../eventTap.js'
import { clearedError } from '../cache/clearableCache.js'
import { ConfirmedRecords } from './confirmedRecords.js'
import { OptimisticRecords } from './optimisticRecords.js'
import type * as RecordLink from './recordLink.js'
import { transportModule } from './recordTransports.js'
import { RecordPersister } from './recordPersister.js'
import { WriteSide } from './writeSide.js'
import { isConnected, sameElements } from './storeState.js'
import { resolveWatchUrl } from './watchRecordsUrl.js'
import { compareNewestFirst } from './recordKey.js'
import type { HistoryPager } from './historyPager.js'
import { SchemaPipe } from './schemaPipe.js'
import { toSyncError } from '../errors.js'
import { collectionFromWatchUrl } from '../../wire/watchRecords.js'
import type { CachedState } from './cachePaint.js'
import { headStart, readCache } from './cachePaint.js'
import type {
  OptimisticInput,
  RecordSnapshot,
  RecordStore,
  RecordStoreOptions,
  WatchEvent,
  WatchRecord,
} from './types.js'

export interface RecordSaveState {
  /** Writes still waiting for the server (outbox entries not refused, plus `addOptimistic` entries). */
  pending: number
  /** Everything confirmed so far is in the cache (or there is no cache). */
  savedLocal: boolean
  /** No optimistic write is pending. */
  savedServer: boolean
}

export interface RecordStoreInternals {
  environment?: Environment
  /** The client's event stream (`client.onEvent`); the store is named there by its `url`. */
  tap?: EventTap
}

/**
 * A live, sorted view of one watchRecords endpoint: cached records first, then the
 * server's snapshot, then live changes, with the local user's optimistic writes merged in.
 */
export class WatchRecordStore<V> implements RecordStore<V> {
  readonly url: string
  readonly collection: string
  #options: RecordStoreOptions<V>
  #env: Environment
  /** The connection's code loads with the first start (deferredDriver.ts). */
  #driver: DeferredDriver<typeof RecordLink>
  #listeners = new Listeners()
  #confirmed: ConfirmedRecords<V>
  #optimistic = new OptimisticRecords<V>()
  #compare: (a: WatchRecord<V>, b: WatchRecord<V>) => number
  #writes: WriteSide<V>
  #snapshot: RecordSnapshot<V> = { records: [], status: 'idle', error: null, saved: { local: true, server: true } }
  #recordsDirty = false
  /** Null without a cache. */
  #persister: RecordPersister<V> | null = null
  #cacheLoaded = false
  /** The cache read begun by `preloadCache()`, for `start()` to paint from. */
  #cacheRead: Promise<CachedState<V>> | null = null
  /** Set once the network has sent records; cached records must then not overwrite them. */
  #networkCaughtUp = false
  /** `closeAndForget()` ran: this store never starts, paints or takes a write again. */
  #forgotten = false
  #gate: SchemaPipe<V>
  /** Loaded by the first loadOlder(); until then only the snapshot's cursor is kept. */
  #pager: HistoryPager<V> | undefined
  #pagerLoad: Promise<HistoryPager<V>> | undefined
  #cursor: string | null | undefined

  constructor(options: RecordStoreOptions<V>, internals: RecordStoreInternals = {}) {
    checkHeartbeatMs(options.heartbeatMs)
    this.#options = options
    this.#env = internals.environment ?? defaultEnvironment
    this.url = resolveWatchUrl(options.url, options.baseUrl)
    this.collection = collectionFromWatchUrl(this.url) ?? ''
    this.#compare = options.compareRecords ?? compareNewestFirst
    this.#confirmed = new ConfirmedRecords<V>(this.#compare)
    this.#gate = new SchemaPipe(options.schema)
    const tap = internals.tap && { tap: internals.tap, connection: this.url, kind: 'records' as const }
    const onChange = (state: MachineState): void => this.#onMachineChange(state)
    this.#driver = new DeferredDriver(
      recordLink,
      (link) =>
        link.recordDriver(
          this.url,
          options,
          transportModule(options.transport),
          this.#env,
          (attempt) => ({
            events: (batch) =>
              this.#gate.events(
                batch,
                (error) => {
                  this.#options.onIgnoredError?.(error)
                  attempt.problem(error)
                },
                (valid) => this.#apply(valid, attempt),
              ),
            // An empty batch: the snapshot is abandoned only after the batches still being checked.
            ended: () => this.#gate.events([], () => {}, () => this.#confirmed.abandonSnapshot()),
          }),
          onChange,
          tap,
        ),
      this.#env,
      onChange,
    )
    this.#writes = new WriteSide<V>({
      options,
      url: this.url,
      collection: this.collection,
      environment: this.#env,
      confirmed: this.#confirmed,
      optimistic: this.#optimistic,
      isConnected: () => isConnected(this.#driver.state.status),
      // The connection's own backoff, passed in so the write chunk shares no extra module with the
      // page. Writes are sent only while connected, so the connection's code is here by then.
      backoffDelay: (attempt) =>
        recordLink.loaded?.backoffDelay(attempt, typeof options.reconnect === 'object' ? options.reconnect : {}, () => this.#env.random()) ?? WRITE_BACKOFF_BEFORE_LINK_MS,
      changed: () => this.#recordsChanged(),
      tap,
    })
    if (options.cache) {
      this.#persister = new RecordPersister<V>({
        cache: options.cache,
        key: options.cacheKey ?? options.url,
        maxRecords: options.cacheMaxRecords ?? 200,
        timers: this.#env,
        current: () => this.#confirmed.sorted(),
        saved: () => this.#listeners.notify(),
        error: (error) => this.#options.onIgnoredError?.(error),
      })
    }
  }

  getSnapshot = (): RecordSnapshot<V> => {
    if (this.#recordsDirty) {
      this.#recordsDirty = false
      const records = this.#buildRecords()
      if (!sameElements(records, this.#snapshot.records)) this.#snapshot = { ...this.#snapshot, records }
    }
    return this.#snapshot
  }

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  /**
   * Begins reading the cache now, for the first `start()` to paint from: a client calls it
   * when it makes the store, so with React the read runs during the first render and commit
   * instead of after them (the store starts in an effect). Reading opens no stream.
   */
  preloadCache(): void {
    if (this.#persister && !this.#cacheLoaded && !this.#forgotten) this.#cacheRead ??= this.#readCache(this.#persister)
  }

  start(): void {
    if (this.#forgotten) return
    let painted: Promise<void> | undefined
    if (this.#persister && !this.#cacheLoaded) {
      this.#cacheLoaded = true
      const read = this.#cacheRead ?? this.#readCache(this.#persister)
      this.#cacheRead = null
      // The write and connection code is fetched once the cache has painted: evaluated while
      // the cache's answer was being taken in, it made the first paint 1.6× slower (bench
      // case 4). A slow cache holds the network back for PAINT_HEAD_START_MS at most.
      const paint = this.#paintFromCache(read)
      this.#persister.holdUntil(paint)
      painted = headStart(paint, this.#env)
    }
    this.#writes.start(painted)
    // The transport's code loads beside the connection's, not after it.
    void (painted ?? Promise.resolve()).then(() => transportModule(this.#options.transport).load()).catch(() => {})
    this.#driver.start(painted)
  }

  /** Stops sending and watching; resolves once the records and the outbox are in the cache. */
  async stop(): Promise<void> {
    // Stopped before it ever started: a later start reads the cache afresh.
    this.#cacheRead = null
    this.#driver.stop()
    await Promise.all([this.flushCache(), this.#writes.stop()])
  }

  /** Writes any pending change to the cache now. */
  async flushCache(): Promise<void> {
    await this.#persister?.flush()
  }

  getSaveState(): RecordSaveState {
    const pending = this.#optimistic.pendingCount + this.#writes.pendingCount
    return { pending, savedLocal: (this.#persister?.isSaved ?? true) && this.#writes.isSavedLocally, savedServer: pending === 0 }
  }

  put(value: V, options?: { rkey?: string }): Promise<WatchRecord<V>> {
    return this.#writes.put(value, options)
  }

  delete(rkey: string): Promise<void> {
    return this.#writes.delete(rkey)
  }

  retry(rkey: string): void {
    this.#writes.retry(rkey)
  }

  discard(rkey: string): void {
    this.#writes.discard(rkey)
  }

  /**
   * Stops for good and forgets every record, confirmed and optimistic (`clearLocalData()`):
   * nothing of them paints again and a later write throws `'closed'`. Resolves once the
   * cache writes already under way have landed.
   */
  closeAndForget(): Promise<void> {
    this.#forgotten = true
    this.#writes.forget()
    this.#confirmed.clear()
    this.#optimistic = new OptimisticRecords<V>()
    this.#recordsDirty = true
    this.#listeners.notify()
    return this.stop()
  }

  addOptimistic(input: OptimisticInput<V>): void {
    if (this.#forgotten) throw clearedError()
    this.#optimistic.add(input, this.collection, Date.now() * 1000)
    this.#recordsChanged()
  }

  markFailed(rkey: string, error: unknown, did?: string): void {
    const failure = error instanceof Error ? error : new Error(String(error))
    if (this.#optimistic.markFailed(rkey, failure, did)) this.#recordsChanged()
  }

  removeOptimistic(rkey: string, did?: string): void {
    if (this.#optimistic.remove(rkey, did)) this.#recordsChanged()
  }

  /**
   * Where `loadOlder()` pages from: the cursor the snapshot (or the last older page) ended
   * with; null when there is nothing older, undefined before the first snapshot ends.
   */
  get olderCursor(): string | null | undefined {
    return this.#pager ? this.#pager.cursor : this.#cursor
  }

  loadOlder(): Promise<boolean> {
    // Calls share the pager's request; the first ones also share its loading.
    this.#pagerLoad ??= import('./olderRecords.js').then(
      (module) => (this.#pager = module.olderRecords(this.url, this.collection, this.#options, this.#gate, this.#cursor, (batch) => this.#apply(batch))),
      (error: unknown) => {
        this.#pagerLoad = undefined
        throw toSyncError(error) // 'network'
      },
    )
    return this.#pagerLoad.then((pager) => pager.loadOlder())
  }

  /** `attempt` is the connection a batch came on; an older page (`record.created` only) comes on none. */
  #apply(batch: readonly WatchEvent<V>[], attempt?: ConnectAttempt): void {
    let changed = false
    for (const event of batch) {
      switch (event.kind) {
        case 'snapshot.start':
          this.#confirmed.beginSnapshot()
          this.#pager?.beginSnapshot()
          break
        case 'snapshot.record':
        case 'record.created': {
          const record = event.data.record
          if (event.kind === 'snapshot.record') this.#pager?.snapshotRecord(record)
          changed = this.#confirmed.upsert(record) || changed
          changed = this.#optimistic.settle(record.did, record.rkey) || changed
          this.#networkCaughtUp ||= event.kind === 'record.created'
          break
        }
        case 'snapshot.end':
          // Only the window this snapshot covers is reconciled: older loaded pages stay.
          changed = this.#confirmed.endSnapshot(this.#pager ? this.#pager.endSnapshot(event.data.cursor) : void (this.#cursor = event.data.cursor || null)) || changed
          this.#networkCaughtUp = true
          if (changed) this.#recordsChanged()
          changed = false
          // Records first, then the status: a listener that sees `live` sees the full list.
          attempt?.caughtUp()
          break
        case 'record.deleted':
          changed = this.#confirmed.delete(event.data) || changed
          changed = this.#optimistic.settle(event.data.did, event.data.rkey) || changed
          break
        case 'member.removed':
          // Access was revoked: what we showed is no longer ours to show, here or in the cache.
          this.#confirmed.clear()
          this.#pager?.reset()
          this.#cursor = undefined
          this.#recordsChanged()
          this.#persister?.clear()
          attempt?.lost(new SyncError('forbidden', 'Access to this collection was revoked (member.removed)'), { retry: false })
          return
        case 'error':
          attempt?.problem(new SyncError('unavailable', `Server reported: ${event.data.message}`))
          break
      }
    }
    if (changed) this.#recordsChanged()
  }

  #onMachineChange(state: MachineState): void {
    this.getSnapshot() // fold pending record changes in first, keeping one snapshot per state
    this.#snapshot = { ...this.#snapshot, status: state.status, error: state.error }
    this.#listeners.notify()
    if (isConnected(state.status)) this.#writes.connectionUp()
  }

  #recordsChanged(): void {
    this.#recordsDirty = true
    this.#persister?.schedule()
    this.#refreshSaved()
    this.#listeners.notify()
  }

  #refreshSaved(): void {
    const local = this.#writes.isSavedLocally
    const server = this.#writes.isEmpty && this.#optimistic.pendingCount === 0
    const { saved } = this.#snapshot
    if (saved.local !== local || saved.server !== server) this.#snapshot = { ...this.#snapshot, saved: { local, server } }
  }

  #buildRecords(): WatchRecord<V>[] {
    // The confirmed records come sorted (kept so from one event to the next); only the local
    // user's pending writes, when there are any, need a sort (an adaptive one: the rest is in order).
    const records = [...this.#confirmed.sorted()]
    const confirmedCount = records.length
    for (const entry of this.#optimistic.values()) {
      if (!this.#confirmed.hasAuthorKey(entry.did, entry.rkey)) records.push(entry)
    }
    const merged = this.#writes.merge(records)
    return merged === records && records.length === confirmedCount ? records : merged.sort(this.#compare)
  }

  #readCache(persister: RecordPersister<V>): Promise<CachedState<V>> {
    return readCache(persister, this.#options.cache!, this.#options.cacheKey ?? this.#options.url)
  }

  async #paintFromCache(read: Promise<CachedState<V>>): Promise<void> {
    const [loaded, outbox] = await read
    // A cache written before the schema changed (or by a store without one) is checked too.
    const cached = loaded && (await this.#gate.records(loaded, this.#options.onIgnoredError))
    if (this.#forgotten) return
    this.#writes.preload(outbox)
    // The network is fresher than the cache; once it has spoken, the cache has nothing to add.
    const seeded = cached !== undefined && !this.#networkCaughtUp && this.#confirmed.seed(cached)
    if (seeded || outbox.length > 0) {
      this.#recordsDirty = true
      this.#refreshSaved()
      this.#listeners.notify()
    }
  }
}

/**
 * A write retry's pause if the connection code has not loaded yet. Writes are sent only
 * while connected, which needs that code, so this is a fallback that should never be used;
 * 1 s is the backoff's default first step (machine.ts), so it errs neither way.
 */
const WRITE_BACKOFF_BEFORE_LINK_MS = 1000

/** The connection half of every record store, loaded by the first one started. */
const recordLink = new LazyModule(() => import('./recordLink.js'))

export function createRecordStore<V = Record<string, unknown>>(
  options: RecordStoreOptions<V>,
  internals?: RecordStoreInternals,
): WatchRecordStore<V> {
  return new WatchRecordStore(options, internals)
}
