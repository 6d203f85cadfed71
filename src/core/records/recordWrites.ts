import type { Environment } from '../environment.js'
import type { ConfirmedRecords } from './confirmedRecords.js'
import type { OutboxEntry } from './outbox.js'
import type { TapPoint } from '../eventTap.js'
import { Outbox } from './outbox.js'
import type { OutboxView } from './outboxView.js'
import { OutboxSender } from './outboxSender.js'
import { createSendLock } from './outboxLock.js'
import type { RecordWriteRequest, RecordWriteResult } from './recordWriter.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

export interface RecordWritesOptions<V> {
  options: RecordStoreOptions<V>
  /** The store's absolute watch URL and its collection. */
  url: string
  collection: string
  environment: Environment
  confirmed: ConfirmedRecords<V>
  /** Whether the store's connection is up (writes wait for it). */
  isConnected(): boolean
  /** The connection's backoff: the wait before retry number `attempt`. */
  backoffDelay(attempt: number): number
  /** The writes or their states changed: rebuild the view and notify. */
  changed(): void
  /** Where outbox changes are reported (`client.onEvent`). */
  tap?: TapPoint | undefined
  /** How the entries show; made by the store, so records the first paint showed keep their objects. */
  view: OutboxView<V>
  /** The cache's entries as the store read them for its first paint: the outbox starts from them. */
  preloaded?: readonly OutboxEntry<unknown>[] | undefined
}

type SendOne = (name: string, send: () => Promise<void>) => Promise<void>
const runNow: SendOne = (_name, send) => send()
let tabsLock: SendOne | undefined
/**
 * In a browser every tab of the origin shares the IndexedDB outbox, so one send of an entry
 * holds a lock across them (Web Locks, else a BroadcastChannel lease). Elsewhere one process
 * has the outbox to itself.
 */
function defaultSendLock(): SendOne {
  if (typeof window === 'undefined') return runNow
  if (tabsLock === undefined) {
    const lock = createSendLock()
    tabsLock = (name, send) => lock(name, send).then(() => {})
  }
  return tabsLock
}

/**
 * The write side of a record store: `put`/`delete` go into a durable `Outbox` and show at
 * once in the view (`merge`); the `OutboxSender` delivers them. The store fetches this module
 * (with the outbox, the sender and the writers) when it starts, after first paint (see
 * `writeSide.ts` for why not at the first write). What the server accepts moves into the
 * confirmed records at once, so the view does not flicker while the watch's echo is on its way.
 */
export class RecordWrites<V> {
  readonly #o: RecordWritesOptions<V>
  readonly #outbox: Outbox
  readonly #cacheKey: string
  #sender: OutboxSender | null = null
  #running = false
  #unwatch: (() => void) | null = null
  /** The author, once the app said so or a server answer named it. */
  #did: string | undefined

  constructor(options: RecordWritesOptions<V>) {
    this.#o = options
    this.#did = options.options.did
    this.#cacheKey = options.options.cacheKey ?? options.options.url
    this.#outbox = new Outbox({
      cache: options.options.cache,
      key: this.#cacheKey,
      changed: () => {
        options.changed()
        options.tap?.tap.emit?.('outbox', options.tap, this.#outbox.entries())
      },
      error: (error) => options.options.onIgnoredError?.(error),
      initial: options.preloaded,
    })
    const tap = options.tap
    if (tap) (tap.tap.outboxes ??= new Map()).set(tap.connection, () => this.#outbox.entries())
  }

  get pendingCount(): number {
    return this.#outbox.pendingCount
  }

  get size(): number {
    return this.#outbox.entries().length
  }

  get isSavedLocally(): boolean {
    return this.#outbox.isSavedLocally
  }

  /** Loads what the cache holds (the last session's or another tab's writes) and follows its changes. */
  start(): void {
    this.#running = true
    const cache = this.#o.options.cache
    if (cache && this.#unwatch === null) {
      this.#unwatch = cache.watchOutbox((key) => {
        if (key === this.#cacheKey) void this.#outbox.reload().then(() => this.#send('kick'))
      })
    }
    void this.#outbox.reload().then(() => this.#send('wake'))
  }

  /** Stops sending and resolves once every write is in the cache. */
  async stop(): Promise<void> {
    this.#running = false
    this.#unwatch?.()
    this.#unwatch = null
    this.#sender?.stop()
    this.#sender = null
    await this.#outbox.flush()
  }

  /** The author, once known (the app's `did`, or learned from a server answer). */
  get did(): string | undefined {
    return this.#did
  }

  /** Queues a put made by `newOutboxEntry`; resolves with the record the server accepted. */
  put(entry: OutboxEntry<unknown>): Promise<WatchRecord<V>> {
    const accepted = this.#outbox.add(entry)
    this.#send('kick')
    return handled(accepted.then((result) => this.#confirmedRecord(entry.rkey, entry.value as V, entry.time_us, result)))
  }

  delete(entry: OutboxEntry<unknown>): Promise<void> {
    const accepted = this.#outbox.add(entry)
    this.#send('kick')
    return handled(accepted.then(() => undefined))
  }

  retry(rkey: string): void {
    if (this.#outbox.retry(rkey)) this.#send('wake')
  }

  discard(rkey: string): void {
    this.#outbox.discard(rkey)
  }

  /** The store's connection is up: send what waits, without waiting out a backoff. */
  connectionUp(): void {
    this.#send('wake')
  }

  #send(how: 'kick' | 'wake'): void {
    if (!this.#running || !this.#o.isConnected() || this.#outbox.next() === undefined) return
    this.#sender ??= new OutboxSender({
      outbox: this.#outbox,
      writer: this.#o.options.writer,
      request: (entry) => this.#request(entry),
      canSend: () => this.#running && this.#o.isConnected(),
      stillQueued: (entry) => this.#stillQueued(entry),
      accepted: (entry, result) => this.#accepted(entry, result),
      sendLock: this.#o.options.sendLock ?? defaultSendLock(),
      lockName: `syncline-outbox:${this.#cacheKey}`,
      backoffDelay: this.#o.backoffDelay,
      environment: this.#o.environment,
    })
    this.#sender[how]()
  }

  /**
   * The records to show: confirmed ones, with every queued write laid over them (a pending
   * put replaces the record it overwrites, a pending delete hides it).
   */
  merge(records: WatchRecord<V>[]): WatchRecord<V>[] {
    return this.#o.view.merge(records, this.#outbox.entries(), this.#did)
  }

  async #request(entry: OutboxEntry<unknown>): Promise<RecordWriteRequest> {
    const { options, url, collection } = this.#o
    const token = typeof options.token === 'function' ? await options.token() : options.token
    return { watchUrl: url, collection, rkey: entry.rkey, did: entry.did ?? this.#did, token, fetch: options.fetch ?? globalThis.fetch.bind(globalThis) }
  }

  async #stillQueued(entry: OutboxEntry<unknown>): Promise<boolean> {
    const cache = this.#o.options.cache
    if (!cache || !this.#outbox.isSavedLocally) return true
    try {
      return (await cache.loadOutbox(this.#cacheKey)).some((stored) => stored.id === entry.id)
    } catch {
      return true // a cache that cannot answer must not stop the write; the server overwrites by rkey anyway
    }
  }

  #accepted(entry: OutboxEntry<unknown>, result: RecordWriteResult | undefined): void {
    const { confirmed } = this.#o
    if (entry.op === 'put' && result) {
      const record = this.#confirmedRecord(entry.rkey, entry.value as V, entry.time_us, result)
      this.#did ??= record.did || undefined
      const existing = confirmed.getByAuthor(record.did, record.rkey)
      // The watch's echo may have come first, with the server's time (and fields such as
      // contrail's `space`): keep it. A server that answers without a cid (contrail) is matched by value.
      const echoed = existing && (result.cid ? existing.cid === result.cid : JSON.stringify(existing.value) === JSON.stringify(entry.value))
      if (!echoed) confirmed.upsert(record)
    } else if (entry.op === 'delete' && entry.did !== undefined) {
      confirmed.delete({ did: entry.did, rkey: entry.rkey })
    }
    this.#outbox.accepted(entry, result)
  }

  #confirmedRecord(rkey: string, value: V, timeUs: number, result: RecordWriteResult | undefined): WatchRecord<V> {
    // Without an answer (another tab sent the write), the uri is the one the server gives it.
    const did = (result && didOfUri(result.uri)) ?? this.#did ?? ''
    const uri = result?.uri ?? (did === '' ? '' : `at://${did}/${this.#o.collection}/${rkey}`)
    return { uri, did, rkey: result?.rkey ?? rkey, collection: this.#o.collection, value, cid: result?.cid ?? null, time_us: timeUs }
  }
}

/** A write may be fired and forgotten: a refusal then shows in the view, never as an unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

function didOfUri(uri: string): string | undefined {
  const match = /^at:\/\/([^/]+)\//.exec(uri)
  return match?.[1]
}
