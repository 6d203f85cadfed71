import type { TapPoint } from '../eventTap.js'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SyncError } from '../errors.js'
import type { BackoffOptions, SyncStatus } from '../machine.js'
import type { RecordCache } from '../cache/types.js'
import type { Environment } from '../environment.js'
import type { WatchRecord } from './watchRecord.js'
import type { RecordWriter } from './recordWriter.js'

export type { WatchRecord } from './watchRecord.js'

/** The events of the watchRecords stream (DESIGN §6), after validation. */
export type WatchEvent<V = Record<string, unknown>> =
  | { kind: 'snapshot.start'; data: { collection?: string; spaceUri?: string; actor?: string } }
  | { kind: 'snapshot.record'; data: { record: WatchRecord<V> } }
  | { kind: 'snapshot.end'; data: { cursor?: string | null } }
  | { kind: 'record.created'; data: { record: WatchRecord<V> } }
  | { kind: 'record.deleted'; data: { uri?: string; did: string; rkey: string } }
  | { kind: 'member.removed'; data: { space?: string; did?: string } }
  | { kind: 'error'; data: { message: string } }
  /** A sign of life with nothing in it (syncline's server sends one every ~15 s on watch sockets). */
  | { kind: 'keepalive'; data: Record<string, unknown> }

export interface RecordSnapshot<V> {
  readonly records: readonly WatchRecord<V>[]
  readonly status: SyncStatus
  readonly error: SyncError | null
  /**
   * The local user's writes (`put`/`delete`): `local` once every one is in the cache,
   * `server` once the server has accepted every one (none pending or refused).
   */
  readonly saved: { readonly local: boolean; readonly server: boolean }
}

export interface OptimisticInput<V> {
  rkey: string
  did: string
  collection?: string
  value: V
  uri?: string
  time_us?: number
}

export interface RecordStoreOptions<V> {
  /** A watchRecords endpoint, absolute or relative to `baseUrl`. */
  url: string
  /** @default location.origin in browsers */
  baseUrl?: string
  /** @default 'sse' */
  transport?: 'sse' | 'ws'
  /** A ticket, or a function that mints a fresh one; called on every (re)connect. */
  mintTicket?: string | (() => Promise<string>)
  cache?: RecordCache
  /** @default url */
  cacheKey?: string
  /** Most records kept in the cache, in sort order. @default 200 */
  cacheMaxRecords?: number
  /** @default time_us descending, then rkey descending */
  compareRecords?: (a: WatchRecord<V>, b: WatchRecord<V>) => number
  /** @default true */
  reconnect?: boolean | BackoffOptions
  fetch?: typeof fetch
  WebSocket?: typeof WebSocket
  /**
   * Silence longer than this counts as a dead connection (a half-open path that closes
   * nothing): it is dropped as a `'network'` error and reconnected. Over SSE it is always on
   * (the server sends a comment every ~15 s). Over WebSocket it is on once the server shows it
   * sends keepalives (a `keepaliveMs` in the handshake, a `keepalive` frame, or — in Node — a
   * ping), and never shorter than twice the interval the handshake announces; it also bounds
   * how long the handshake and the socket's opening may take. @default 45000
   */
  heartbeatMs?: number
  /**
   * Origins besides the endpoint's own that a `mode=ws` handshake's `wsUrl` may point to
   * (`wss://realtime.example.com`); the ticket is only ever sent to these. An `https`
   * endpoint's socket is never accepted on `ws:`. @default [] (the endpoint's origin only)
   */
  allowedSocketOrigins?: readonly string[]
  onIgnoredError?: (error: unknown) => void
  /**
   * A bearer token (or a function returning a fresh one) sent as `Authorization` with every
   * write. The `SyncClient` passes its own `token`.
   */
  token?: string | (() => Promise<string>)
  /**
   * The local user's did, sent with writes to servers that take it from the body (the
   * reference server without `authenticate`). Optional: the server's answer names the author.
   */
  did?: string
  /** Where `put` and `delete` go. @default referenceWriter (the reference server's putRecord/deleteRecord) */
  writer?: RecordWriter
  /**
   * Runs one send of an outbox entry while holding `name`, so that only one tab sends it.
   * @default in browsers a lock across the origin's tabs (Web Locks, else a BroadcastChannel lease); elsewhere runs `send` at once
   */
  sendLock?: (name: string, send: () => Promise<void>) => Promise<void>
  /**
   * A Standard Schema (zod, valibot, arktype…) every record's value must pass; `V` is its
   * output type. A record that fails is not shown and is reported as a `'protocol'` error.
   */
  schema?: StandardSchemaV1<unknown, V> | undefined
  /** How many records one `loadOlder()` asks the server for. @default 100 */
  historyPageSize?: number
  /**
   * Longest SSE line or event accepted, in characters; past it the stream is dropped with
   * error code 'protocol' and reconnected. @default 4 Mi characters
   */
  maxEventLength?: number
}

export interface RecordStore<V = Record<string, unknown>> {
  getSnapshot(): RecordSnapshot<V>
  subscribe(listener: () => void): () => void
  /** Idempotent; start() after stop() starts again. */
  start(): void
  /** Flushes the cache, closes the transport; status becomes 'closed'. */
  stop(): Promise<void>
  /** Shows a write made by other means at once, marked `optimistic: 'pending'`, until the server confirms it. */
  addOptimistic(input: OptimisticInput<V>): void
  /** Keeps the optimistic entry but marks it `optimistic: 'failed'`, with `optimisticError`. */
  markFailed(rkey: string, error: unknown, did?: string): void
  /** Rolls an optimistic entry back. */
  removeOptimistic(rkey: string, did?: string): void
  /**
   * Writes a record: shown at once (`optimistic: 'pending'`), stored in the cache's outbox,
   * sent when the connection is up. Resolves with the record once the server accepts it;
   * rejects with the `SyncError` when the server refuses it (4xx; it then shows as `'failed'`
   * until `retry` or `discard`) or with `'aborted'` when it is discarded.
   * @param options.rkey the record key; @default a new TID
   * @throws SyncError `'bad-input'` for a malformed rkey
   */
  put(value: V, options?: { rkey?: string }): Promise<WatchRecord<V>>
  /** Deletes the local user's record `rkey`: hidden at once, sent through the outbox like `put`. */
  delete(rkey: string): Promise<void>
  /** Sends refused writes of `rkey` again. */
  retry(rkey: string): void
  /** Drops the queued writes of `rkey`, pending or refused, and rolls the view back. */
  discard(rkey: string): void
  /**
   * Fetches the next older page (listRecords, from the cursor the snapshot or the last page
   * ended with) and merges it in. Resolves false when there is nothing older.
   */
  loadOlder(): Promise<boolean>
}

/**
 * The contract between the record store and one transport (one module per transport).
 * A transport opens one connection; it reports through `sink` and never reconnects by
 * itself: reconnecting is the state machine's job.
 */
export interface RecordTransportSink<V> {
  /** HTTP response accepted / socket open: status goes to `snapshot`. */
  opened(): void
  /** A batch of validated events, in order (one network chunk, so listeners are notified once). */
  events(batch: readonly WatchEvent<V>[]): void
  /** A frame was skipped (bad JSON, unknown kind, record without keys); the stream stays open. */
  ignored(error: SyncError): void
  /** Bytes or a keepalive arrived. */
  alive(): void
  /**
   * The connection ended. `error.code` 'unauthorized' / 'forbidden' / 'protocol' etc.
   * `retry: false` (default true) for a failure no retry can fix, such as a missing WebSocket.
   */
  closed(error: SyncError | null, retry?: boolean): void
}

export interface RecordTransportOptions<V> {
  /** Absolute http(s) URL of the watchRecords endpoint, without a ticket. */
  url: string
  /**
   * The collection `url` watches (`collectionFromWatchUrl`), for records that come without a
   * uri; undefined when it names none. Passed in, as the store knows it already: the transport
   * chunks import nothing the page also imports.
   */
  collection: string | undefined
  ticket?: string | undefined
  fetch: typeof fetch
  WebSocket?: typeof WebSocket | undefined
  allowedSocketOrigins?: readonly string[] | undefined
  signal: AbortSignal
  sink: RecordTransportSink<V>
  /** See `RecordStoreOptions.heartbeatMs`; a transport that watches silence itself uses it. Off when undefined. */
  heartbeatMs?: number | undefined
  /** Timers for that watch. @default globalThis timers */
  timers?: Pick<Environment, 'setTimeout' | 'clearTimeout'> | undefined
  /** See `RecordStoreOptions.maxEventLength`. */
  maxEventLength?: number | undefined
  /** Told of every frame received (`client.onEvent`). */
  tap?: TapPoint | undefined
}

export type RecordTransport = <V>(options: RecordTransportOptions<V>) => { close(): void }
