import type { Doc } from '@automerge/automerge/slim'
import type { WaitOptions } from '../boundedWait.js'
import type { DocCache } from '../cache/types.js'
import type { Environment } from '../environment.js'
import type { EventTap } from '../eventTap.js'
import type { SyncError } from '../errors.js'
import type { BackoffOptions, SyncStatus } from '../machine.js'

export interface DocConnectionOptions {
  /** A `ws://` or `wss://` automerge-repo sync server (stock, `sync.automerge.org`, syncline's own). */
  url: string
  /**
   * Proves who connects. Before each (re)connect it is traded for a short-lived documents
   * ticket (POST `ticketUrl` with `Authorization: Bearer`), which goes in the socket URL
   * instead, because browsers cannot set headers on a WebSocket upgrade and URLs get logged.
   * Servers without that endpoint (404/405/501, or unreachable by POST) get the token as
   * the `token` query parameter. A function is called on every (re)connect for a fresh token.
   */
  token?: string | (() => Promise<string>) | undefined
  /**
   * Where to trade the token for a ticket, relative to `url`; `false` never asks (the token
   * goes in the URL). @default 'xrpc/realtime.ticket' (syncline's server)
   */
  ticketUrl?: string | false | undefined
  /** For the ticket request. @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  /** Keeps documents between sessions: paints at once and keeps unsent changes across reloads. */
  cache?: DocCache | undefined
  /** This client's peer id. @default a random 'syncline-…' id per connection */
  peerId?: string | undefined
  /** @default true */
  reconnect?: boolean | BackoffOptions | undefined
  /** Needed in Node 20, which has no global WebSocket: pass the `ws` package's. @default globalThis.WebSocket */
  WebSocket?: typeof WebSocket | undefined
  /**
   * How long `close()` waits for the server to acknowledge unsent changes before it closes
   * anyway (they are in the cache, if there is one, and go out next session). @default 5000
   */
  closeTimeoutMs?: number | undefined
  /**
   * Silence longer than this counts as a dead socket (a half-open path closes nothing): it is
   * dropped as `'network'` and reconnected with backoff. Only against servers that show they
   * keep the socket busy: syncline's server (heartbeats, asked for on `join`, never shorter
   * than twice the interval it announces) and, in Node only, any server that pings (stock
   * automerge-repo servers ping every 5 s). Elsewhere a quiet socket is never dropped. @default 45000
   */
  heartbeatMs?: number | undefined
  /** Timers and online/visibility signals. @default defaultEnvironment */
  environment?: Environment | undefined
  /** The client's event stream (`client.onEvent`): transitions and frames are reported there. */
  tap?: EventTap | undefined
  /** Bad frames from the server, cache failures and throwing listeners end up here. */
  onIgnoredError?: ((error: unknown) => void) | undefined
}

export interface DocConnectionSnapshot {
  readonly status: SyncStatus
  readonly error: SyncError | null
  /** This client's peer id. */
  readonly peerId: string
  /** The server's peer id, while connected. */
  readonly serverPeerId?: string
}

/**
 * One connection to an automerge-repo sync server, shared by every document opened on it.
 * Follows the `useSyncExternalStore` contract. Its status is `snapshot` from the server's
 * handshake until every open document has finished its first sync round, then `live`.
 */
export interface DocConnection {
  getSnapshot(): DocConnectionSnapshot
  subscribe(listener: () => void): () => void
  /** Connects; idempotent. start() after close() connects again, with the documents still open. */
  start(): void
  /**
   * Sends unsent local changes and waits (up to `closeTimeoutMs`) until the server has them
   * if connected, writes them to the cache in any case, then closes. Status `closed`.
   */
  close(): Promise<void>
  /**
   * The store for an existing document (`automerge:<id>` or bare `<id>`). Opening the same
   * document twice returns the same store; each `open()` needs its own `store.close()`.
   * @throws SyncError `'bad-input'` for a malformed id or a bad checksum, before anything is sent.
   */
  open<T>(idOrUrl: string): DocStore<T>
  /** A new document with a fresh id (16 UUIDv4 bytes, bs58check), `initial` as its content. */
  create<T>(initial?: T): DocStore<T>
}

/** Where the document is: `loading` until it is in memory, or `unavailable` if no one has it. */
export type DocStatus = 'loading' | 'ready' | 'unavailable'

export interface DocSnapshot<T> {
  /** The Automerge document; `undefined` while loading or unavailable. Immutable: a change makes a new one. */
  readonly doc: Doc<T> | undefined
  readonly status: DocStatus
  readonly saved: {
    /** Every change is in the cache (always false without a cache). */
    readonly local: boolean
    /** The server has acknowledged every local change (`Automerge.hasOurChanges`). */
    readonly server: boolean
  }
  /** The last problem with this document (a sync message that could not be applied, a cache failure). */
  readonly error: SyncError | null
}

/** Who sent an ephemeral message. */
export interface EphemeralMeta {
  /** The sending peer's id. */
  readonly senderId: string
  readonly sessionId: string
  readonly count: number
}

export interface DocStore<T> {
  readonly documentId: string
  /** `automerge:<documentId>` */
  readonly url: string
  getSnapshot(): DocSnapshot<T>
  subscribe(listener: () => void): () => void
  /**
   * Changes the document locally; the change goes to the server at the end of the current
   * task (changes in one task travel together) and to the cache.
   * @throws SyncError `'bad-input'` while the document is `loading` (except for a created
   * document, whose changes are queued) or `unavailable`, or after `close()`.
   */
  change(fn: (doc: T) => void): void
  /**
   * Resolves once `getSnapshot().saved[where]` is true.
   * Rejects for `'local'` when there is no cache, and when the store closes first
   * (`'closed'`). Unbounded unless `options` bound it: `timeoutMs` rejects with `'timeout'`,
   * and `signal` rejects with its reason (`'aborted'`) — the change itself is kept either way.
   * @default 'server'
   */
  whenSaved(where?: 'local' | 'server', options?: WaitOptions): Promise<void>
  /**
   * Sends an ephemeral message (presence, cursors) to the other peers of this document
   * through the server. Nothing is stored or retried. Plain objects, arrays, strings,
   * numbers, booleans, null, undefined and Uint8Array travel; a Map, Set or Date (which
   * would arrive as `{}`) or a function throws.
   * @throws SyncError `'bad-input'` for a value that cannot travel unchanged.
   * @returns false when not connected (the message is dropped).
   */
  broadcast(message: unknown): boolean
  /** Calls `listener` with every ephemeral message other peers send for this document. */
  onEphemeral(listener: (message: unknown, meta: EphemeralMeta) => void): () => void
  /** Releases this store; the last `close()` for a document stops syncing it. */
  close(): void
}
