import type { RecordCache } from '../cache/types.js'
import type { ConnectAttempt, TransportHandle } from '../connectionDriver.js'
import { ConnectionDriver } from '../connectionDriver.js'
import type { Environment } from '../environment.js'
import { defaultEnvironment } from '../environment.js'
import { SyncError, toSyncError } from '../errors.js'
import type { MachineState } from '../machine.js'
import { checkHeartbeatMs } from '../silenceWatch.js'
import { Listeners } from '../subscribable.js'
import { ConfirmedRecords } from './confirmedRecords.js'
import { OptimisticRecords } from './optimisticRecords.js'
import { compareNewestFirst } from './recordKey.js'
import { collectionFromWatchUrl } from '../../wire/watchRecords.js'
import { sseTransport } from './sseTransport.js'
import type {
  OptimisticInput,
  RecordSnapshot,
  RecordStore,
  RecordStoreOptions,
  RecordTransport,
  WatchEvent,
  WatchRecord,
} from './types.js'

/** Servers send a keepalive every ~15 s; three missed ones mean the connection is dead. */
const DEFAULT_HEARTBEAT_MS = 45_000
/** Coalesces bursts of changes into one cache write. */
const CACHE_WRITE_DELAY_MS = 250

export interface RecordSaveState {
  /** Optimistic writes still waiting for the server. */
  pending: number
  /** Everything confirmed so far is in the cache (or there is no cache). */
  savedLocal: boolean
  /** No optimistic write is pending. */
  savedServer: boolean
}

export interface RecordStoreInternals {
  environment?: Environment
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
  #driver: ConnectionDriver
  #listeners = new Listeners()
  #confirmed = new ConfirmedRecords<V>()
  #optimistic = new OptimisticRecords<V>()
  #compare: (a: WatchRecord<V>, b: WatchRecord<V>) => number
  #snapshot: RecordSnapshot<V> = { records: [], status: 'idle', error: null }
  #recordsDirty = false
  #cacheLoad: Promise<void> | null = null
  /** Set once the network has sent records; cached records must then not overwrite them. */
  #networkCaughtUp = false
  #cacheWriteTimer: unknown = null
  #cacheWrite: Promise<void> = Promise.resolve()
  #cacheDirty = false

  constructor(options: RecordStoreOptions<V>, internals: RecordStoreInternals = {}) {
    checkHeartbeatMs(options.heartbeatMs)
    this.#options = options
    this.#env = internals.environment ?? defaultEnvironment
    this.url = resolveUrl(options.url, options.baseUrl)
    this.collection = collectionFromWatchUrl(this.url) ?? ''
    this.#compare = options.compareRecords ?? compareNewestFirst
    this.#driver = new ConnectionDriver({
      connect: (attempt) => this.#connect(attempt),
      reconnect: options.reconnect,
      // The WebSocket transport watches silence itself: only some servers send keepalives there.
      heartbeatMs: options.transport === 'ws' ? undefined : (options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
      environment: this.#env,
      onChange: (state) => this.#onMachineChange(state),
    })
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

  start(): void {
    if (this.#options.cache && this.#cacheLoad === null) this.#cacheLoad = this.#loadCache(this.#options.cache)
    this.#driver.start()
  }

  async stop(): Promise<void> {
    this.#driver.stop()
    await this.flushCache()
  }

  /** Writes any pending change to the cache now. */
  async flushCache(): Promise<void> {
    if (this.#cacheWriteTimer !== null) {
      this.#env.clearTimeout(this.#cacheWriteTimer)
      this.#cacheWriteTimer = null
      this.#writeCache()
    }
    await this.#cacheWrite
  }

  getSaveState(): RecordSaveState {
    const pending = this.#optimistic.pendingCount
    return { pending, savedLocal: !this.#cacheDirty, savedServer: pending === 0 }
  }

  addOptimistic(input: OptimisticInput<V>): void {
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

  #connect(attempt: ConnectAttempt): TransportHandle {
    // The WebSocket transport loads on first use: most apps watch over SSE and never pay for it.
    const transport: RecordTransport | Promise<RecordTransport> = this.#options.transport === 'ws' ? loadWsTransport() : sseTransport
    let handle: TransportHandle | null = null
    let closed = false
    const open = (ticket: string | undefined, transport: RecordTransport): void => {
      if (closed) return
      handle = transport<V>({
        url: this.url,
        ticket,
        fetch: this.#options.fetch ?? globalThis.fetch.bind(globalThis),
        WebSocket: this.#options.WebSocket,
        allowedSocketOrigins: this.#options.allowedSocketOrigins,
        signal: attempt.signal,
        heartbeatMs: this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        timers: this.#env,
        maxEventLength: this.#options.maxEventLength,
        sink: {
          opened: () => attempt.opened(),
          alive: () => attempt.alive(),
          events: (batch) => this.#apply(batch, attempt),
          ignored: (error) => {
            this.#options.onIgnoredError?.(error)
            attempt.problem(error)
          },
          closed: (error) => {
            this.#confirmed.abandonSnapshot()
            attempt.lost(error)
          },
        },
      })
    }
    const mint = this.#options.mintTicket
    if (typeof mint === 'function' || transport instanceof Promise) {
      // A fresh ticket per attempt: tickets are short-lived and scoped to one watch.
      Promise.all([typeof mint === 'function' ? mint() : mint, transport]).then(
        ([ticket, loaded]) => open(ticket, loaded),
        (error: unknown) => attempt.lost(toSyncError(error, 'network')),
      )
    } else {
      open(mint, transport)
    }
    return {
      close: () => {
        closed = true
        handle?.close()
      },
    }
  }

  #apply(batch: readonly WatchEvent<V>[], attempt: ConnectAttempt): void {
    let changed = false
    for (const event of batch) {
      switch (event.kind) {
        case 'snapshot.start':
          this.#confirmed.beginSnapshot()
          break
        case 'snapshot.record':
        case 'record.created': {
          const record = event.data.record
          changed = this.#confirmed.upsert(record) || changed
          changed = this.#optimistic.settle(record.did, record.rkey) || changed
          this.#networkCaughtUp ||= event.kind === 'record.created'
          break
        }
        case 'snapshot.end':
          changed = this.#confirmed.endSnapshot() || changed
          this.#networkCaughtUp = true
          if (changed) this.#recordsChanged()
          changed = false
          // Records first, then the status: a listener that sees `live` sees the full list.
          attempt.caughtUp()
          break
        case 'record.deleted':
          changed = this.#confirmed.delete(event.data) || changed
          changed = this.#optimistic.settle(event.data.did, event.data.rkey) || changed
          break
        case 'member.removed':
          // Access was revoked: what we showed is no longer ours to show, here or in the cache.
          this.#confirmed.clear()
          this.#recordsChanged()
          void this.#options.cache?.deleteRecords(this.#cacheKey).catch((error: unknown) => this.#options.onIgnoredError?.(error))
          attempt.lost(new SyncError('forbidden', 'Access to this collection was revoked (member.removed)'), { retry: false })
          return
        case 'error':
          attempt.problem(new SyncError('unavailable', `Server reported: ${event.data.message}`))
          break
      }
    }
    if (changed) this.#recordsChanged()
  }

  #onMachineChange(state: MachineState): void {
    this.getSnapshot() // fold pending record changes in first, keeping one snapshot per state
    this.#snapshot = { ...this.#snapshot, status: state.status, error: state.error }
    this.#listeners.notify()
  }

  #recordsChanged(): void {
    this.#recordsDirty = true
    this.#scheduleCacheWrite()
    this.#listeners.notify()
  }

  #buildRecords(): WatchRecord<V>[] {
    const records = [...this.#confirmed.values()]
    for (const entry of this.#optimistic.values()) {
      if (!this.#confirmed.hasAuthorKey(entry.did, entry.rkey)) records.push(entry)
    }
    return records.sort(this.#compare)
  }

  get #cacheKey(): string {
    return this.#options.cacheKey ?? this.#options.url
  }

  async #loadCache(cache: RecordCache): Promise<void> {
    try {
      const cached = await cache.loadRecords<V>(this.#cacheKey)
      // The network is fresher than the cache; once it has spoken, the cache has nothing to add.
      if (!cached || this.#networkCaughtUp) return
      if (this.#confirmed.seed(cached)) {
        this.#recordsDirty = true
        this.#listeners.notify()
      }
    } catch (error) {
      this.#options.onIgnoredError?.(error)
    }
  }

  #scheduleCacheWrite(): void {
    if (!this.#options.cache) return
    this.#cacheDirty = true
    if (this.#cacheWriteTimer !== null) return
    this.#cacheWriteTimer = this.#env.setTimeout(() => {
      this.#cacheWriteTimer = null
      this.#writeCache()
    }, CACHE_WRITE_DELAY_MS)
  }

  #writeCache(): void {
    const cache = this.#options.cache
    if (!cache) return
    const max = this.#options.cacheMaxRecords ?? 200
    const records = [...this.#confirmed.values()].sort(this.#compare).slice(0, max)
    // Chained so writes land in order even if the cache is slow.
    this.#cacheWrite = this.#cacheWrite
      .then(() => cache.saveRecords(this.#cacheKey, records))
      .then(
        () => {
          if (this.#cacheWriteTimer === null && this.#cacheDirty) {
            this.#cacheDirty = false
            this.#listeners.notify()
          }
        },
        (error: unknown) => this.#options.onIgnoredError?.(error),
      )
  }
}

export function createRecordStore<V = Record<string, unknown>>(
  options: RecordStoreOptions<V>,
  internals?: RecordStoreInternals,
): WatchRecordStore<V> {
  return new WatchRecordStore(options, internals)
}

function resolveUrl(url: string, baseUrl: string | undefined): string {
  const base = baseUrl ?? (typeof location === 'undefined' ? undefined : location.origin)
  try {
    return new URL(url, base).toString()
  } catch (error) {
    throw new SyncError(
      'bad-input',
      `Cannot resolve watch URL "${url}"${base ? ` against "${base}"` : ''}; pass an absolute url or a baseUrl`,
      { cause: error },
    )
  }
}

function sameElements<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

let wsTransportModule: Promise<RecordTransport> | null = null

function loadWsTransport(): Promise<RecordTransport> {
  wsTransportModule ??= import('./wsTransport.js').then(
    (module) => module.wsTransport,
    (error: unknown) => {
      // A failed chunk load (say, offline right after a deploy) may work next attempt.
      wsTransportModule = null
      throw error
    },
  )
  return wsTransportModule
}
