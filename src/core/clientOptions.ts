import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { DocCache, RecordCache } from './cache/types.js'
import type { Environment } from './environment.js'
import type { BackoffOptions } from './machine.js'
import type { RecordWriter } from './records/recordWriter.js'

/** The options and answers of `SyncClient` (client.ts), apart so the class reads on its own. */

export interface SyncClientOptions {
  /** The automerge-repo sync server for documents (`ws://…` or `wss://…`). Needed only for documents. */
  url?: string | undefined
  /** Base for relative watchRecords URLs. @default location.origin in browsers */
  recordsBaseUrl?: string | undefined
  /**
   * A bearer token, or a function returning a fresh one, called on every (re)connect: it mints
   * watch tickets for records and a documents ticket for the document socket (`?token=` only
   * for servers that mint none).
   */
  token?: string | (() => Promise<string>) | undefined
  /** Both built-in caches keep records and documents; a records-only cache leaves documents uncached. */
  cache?: RecordCache | (RecordCache & DocCache) | undefined
  reconnect?: boolean | BackoffOptions | undefined
  /**
   * Silence after which a connection counts as dead and is reconnected, for record watches
   * and the document socket alike (see `RecordStoreOptions.heartbeatMs` and
   * `DocConnectionOptions.heartbeatMs` for what each transport can detect). @default 45000
   */
  heartbeatMs?: number | undefined
  /**
   * How long a store with no subscribers keeps its connection. Long enough for React
   * StrictMode's unmount/remount and quick route changes to reuse the same stream.
   * @default 1000
   */
  releaseDelayMs?: number | undefined
  /**
   * While a connection is refused as `unauthorized`, how often to ask `token` whether a new
   * token is available (also asked when the device comes back online or to the tab); a new
   * one reconnects by itself. Call `reauthenticate()` to retry at once. @default 10000
   */
  credentialCheckMs?: number | undefined
  fetch?: typeof fetch | undefined
  WebSocket?: typeof WebSocket | undefined
  /** Origins besides the endpoint's own that a records WebSocket may use (see RecordStoreOptions). @default [] */
  allowedSocketOrigins?: readonly string[] | undefined
  environment?: Environment | undefined
  onIgnoredError?: ((error: unknown) => void) | undefined
  /** The local user's did, for servers that take a write's author from its body (see `RecordStoreOptions.did`). */
  did?: string | undefined
  /** Where record stores' `put`/`delete` go (see `RecordStoreOptions.writer`). @default referenceWriter */
  writer?: RecordWriter | undefined
  /** Runs one outbox send while holding `name`, so one tab sends it (see `RecordStoreOptions.sendLock`). */
  sendLock?: ((name: string, send: () => Promise<void>) => Promise<void>) | undefined
}

export interface ClearLocalDataOptions {
  /** Delete record writes and document edits the server has not confirmed too, instead of refusing. @default false */
  discardUnsent?: boolean | undefined
}

export interface RecordStoreRequest<V = unknown> {
  transport?: 'sse' | 'ws' | undefined
  /** Checks every record (see `RecordStoreOptions.schema`); each schema object gets its own store. */
  schema?: StandardSchemaV1<unknown, V> | undefined
}

export interface SyncStatusSummary {
  /** Record writes and documents with edits that the server has not confirmed yet. */
  readonly pending: number
  /** Everything received so far is in the local cache. */
  readonly savedLocal: boolean
  /** Every local write (records and documents) is confirmed by the server. */
  readonly savedServer: boolean
}
