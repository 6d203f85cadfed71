import type { IncomingMessage } from 'node:http'
import type { Authenticate, Authorize } from './auth.js'
import type { DocumentMountOptions } from './docs/mount.js'
import { createPublicOrigin } from './publicOrigin.js'
import { memoryPubSub } from './pubsub/memoryPubSub.js'
import type { PubSub } from './pubsub/types.js'
import { fileStorage } from './storage/fileStorage.js'
import type { StorageProvider } from './storage/types.js'
import { DEFAULT_TICKET_TTL_MS } from './tickets.js'

export interface SyncServerOptions {
  /** 0 picks a free port; read it from `server.port` after `start()`. @default 3030 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** @default fileStorage('./.syncline-data') */
  storage?: StorageProvider
  /** Verifies a token; without it the server runs in development mode (see `Gatekeeper`). */
  authenticate?: Authenticate
  authorize?: Authorize
  /** 32 bytes that sign watch tickets. @default random per process, so tickets die with it */
  ticketSecret?: string | Uint8Array
  /** @default 120000 */
  ticketTtlMs?: number
  /**
   * The server's address as its clients reach it (`https://sync.example.com`, a path prefix
   * kept), the base of the absolute `wsUrl` a `mode=ws` handshake returns. Set it behind a
   * proxy or load balancer. @default the request's Host header (see trustProxy)
   */
  publicUrl?: string
  /**
   * Without `publicUrl`, take the scheme and host from `X-Forwarded-Proto` and
   * `X-Forwarded-Host`. Only behind a proxy that sets (and overwrites) them: anyone else can
   * send them. @default false
   */
  trustProxy?: boolean
  /**
   * How often every open stream says something while nothing else happens: an SSE comment on
   * record watches; a ping and a `{ "kind": "keepalive" }` frame on record watch sockets; a
   * `syncline-heartbeat` message on document sockets of syncline clients that ask for one.
   * @default 15000
   */
  keepaliveMs?: number
  /** Largest accepted JSON request body. @default 1 MiB */
  maxBodyBytes?: number
  /** Largest accepted document message; bigger frames get an error and a close (1009). @default 16 MiB */
  maxMessageBytes?: number
  /**
   * A document change is written before the server acknowledges it to its author (relay to
   * other peers never waits); changes arriving during a write go in the next one. After a
   * failed write, retries back off from this delay. @default 100
   */
  saveDebounceMs?: number
  /** Failures that are not the client's fault (storage errors, hook exceptions). @default console.error */
  onError?: (error: unknown) => void
  /** Limits that keep one client from taking the server down for everyone else. */
  limits?: SyncServerLimits
  /**
   * How several instances sharing one storage tell each other about writes: record events
   * and "document D was stored" notices. Use `redisPubSub({ url })` across processes.
   * @default memoryPubSub() (one process)
   */
  pubsub?: PubSub
  /**
   * How a document change reaches the other instances: `'changes'` publishes the change
   * bytes as soon as they arrive (changes over 256 KiB fall back to a notice after the
   * write); `'notice'` publishes "document D was stored" after the write, and the others read
   * it back from storage. `npm run bench` (case 8) measures both. @default 'changes'
   */
  documentFanout?: 'changes' | 'notice'
}

export interface SyncServerLimits {
  /** Open document sockets and record watches (SSE and WS) together; beyond, HTTP 503. @default 10000 */
  maxConnections?: number
  /** Documents one document socket may use; beyond, an `error` message and close 1008. @default 10000 */
  maxDocumentsPerConnection?: number
  /** A document socket that sends nothing for this long is closed with 4008; 0 never. @default 0 */
  idleTimeoutMs?: number
  /** A document socket that has not sent `join` this long after opening is closed with 4008; 0 never. @default 10000 */
  joinTimeoutMs?: number
  /**
   * Open document sockets and record watches (SSE and WS) of one authenticated user; beyond,
   * HTTP 429. Not applied in development mode (no `authenticate`), where user ids are claims. @default 100
   */
  maxConnectionsPerUser?: number
  /**
   * Open document sockets and record watches from one address (an IPv6 /64); beyond, HTTP 429.
   * Behind a reverse proxy every connection comes from the proxy: set 0 (off) there. @default 2000
   */
  maxConnectionsPerAddress?: number
  /** Average messages per second on one document socket; beyond, an `error` and close 1008. @default 1000 */
  messagesPerSecond?: number
  /**
   * Messages a document socket may send at once above the average. A client re-announces
   * every open document after reconnecting, so this must exceed maxDocumentsPerConnection.
   * @default 20000
   */
  messageBurst?: number
  /**
   * Average HTTP requests per second from one address; beyond, HTTP 429 with Retry-After.
   * Off by default: many users may share one address behind a NAT or a proxy. @default 0 (off)
   */
  requestsPerSecond?: number
  /** HTTP requests one address may make at once above the average. @default 2 × requestsPerSecond */
  requestBurst?: number
  /**
   * Estimated size of one document once loaded (uncompressed bytes plus 4 per operation). A
   * change that would grow a document past it gets an `error` and is neither applied, stored
   * nor relayed; a stored document past it is not loaded. @default 64 MiB
   */
  maxDocumentBytes?: number
  /**
   * Changes one document sync message to a peer carries at most: a peer missing more (a
   * backlog) gets several messages, and the syncline client applies them a task at a time.
   * @default 0 (off: one message, as Automerge generates it; see boundedSync.ts for why)
   */
  maxSyncMessageBytes?: number
  /** Levels of objects and arrays a record value may nest (the value itself is level 1); deeper, HTTP 400. @default 64 */
  maxRecordDepth?: number
  /** Largest `ephemeral` (presence) frame relayed; bigger ones get an `error` and are not relayed. @default 64 KiB */
  maxEphemeralBytes?: number
  /** Bytes of `ephemeral` frames per second on one document socket; beyond, an `error` and close 1008. @default 256 KiB */
  ephemeralBytesPerSecond?: number
  /**
   * Unsent bytes over every document socket and record watch together. Past it, the
   * connection holding the most (the slowest reader) is closed with 1013, rather than the
   * server's memory growing with every reader that stops reading. @default 256 MiB
   */
  maxSendBufferBytes?: number
}

const MIB = 1024 * 1024

/** Every option with its default in place: what `createSyncServer` wires from. */
export interface ServerSettings {
  host: string
  port: number
  storage: StorageProvider
  pubsub: PubSub
  /** True when the pub/sub is the default one, which the server then closes itself. */
  ownsPubsub: boolean
  documentFanout: 'changes' | 'notice'
  onError: (error: unknown) => void
  ticketTtlMs: number
  keepaliveMs: number
  /** The base URL of a request's absolute URLs (publicOrigin.ts). */
  publicOrigin: (request: IncomingMessage) => URL
  maxBodyBytes: number
  maxMessageBytes: number
  maxConnections: number
  maxConnectionsPerUser: number
  maxConnectionsPerAddress: number
  maxSendBufferBytes: number
  requestsPerSecond: number
  requestBurst: number
  maxRecordDepth: number
  /** Passed on as given: the documents service holds their defaults. */
  documentLimits: DocumentMountOptions['limits']
}

/** Fills in the defaults documented on `SyncServerOptions` and `SyncServerLimits`. */
export function serverSettings(options: SyncServerOptions): ServerSettings {
  const limits = options.limits ?? {}
  const requestsPerSecond = limits.requestsPerSecond ?? 0
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 3030,
    storage: options.storage ?? fileStorage('./.syncline-data'),
    pubsub: options.pubsub ?? memoryPubSub(),
    ownsPubsub: options.pubsub === undefined,
    documentFanout: options.documentFanout ?? 'changes',
    onError: options.onError ?? ((error: unknown) => console.error('[syncline]', error)),
    ticketTtlMs: options.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    publicOrigin: createPublicOrigin({ publicUrl: options.publicUrl, trustProxy: options.trustProxy }),
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxMessageBytes: options.maxMessageBytes ?? 16 * MIB,
    maxConnections: limits.maxConnections ?? 10_000,
    maxConnectionsPerUser: limits.maxConnectionsPerUser ?? 100,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? 2000,
    maxSendBufferBytes: limits.maxSendBufferBytes ?? 256 * MIB,
    requestsPerSecond,
    requestBurst: limits.requestBurst ?? 2 * requestsPerSecond,
    maxRecordDepth: limits.maxRecordDepth ?? 64,
    documentLimits: {
      maxDocumentsPerConnection: limits.maxDocumentsPerConnection,
      idleTimeoutMs: limits.idleTimeoutMs,
      joinTimeoutMs: limits.joinTimeoutMs,
      messagesPerSecond: limits.messagesPerSecond,
      messageBurst: limits.messageBurst,
      maxDocumentBytes: limits.maxDocumentBytes,
      maxSyncMessageBytes: limits.maxSyncMessageBytes,
      maxEphemeralBytes: limits.maxEphemeralBytes,
      ephemeralBytesPerSecond: limits.ephemeralBytesPerSecond,
      saveDebounceMs: options.saveDebounceMs,
      // The owner's handler only: without one, a peer's malformed frames are not worth a console line.
      onError: options.onError,
    },
  }
}
