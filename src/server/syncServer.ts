import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { createServer, STATUS_CODES } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { ConnectionAdmission, releaseWhenClosed } from './admission.js'
import type { Authenticate, Authorize, RevokeRequest } from './auth.js'
import { Gatekeeper } from './auth.js'
import { DocumentAccess } from './docAccess.js'
import { createDocSyncService } from './docs/docSyncService.js'
import type { ClientConnectEvent, ClientDisconnectEvent, SyncRequestEvent } from './events.js'
import { ServerEvents, requestStatus } from './events.js'
import { CORS_HEADERS, HttpError, sendError, sendJson } from './http.js'
import { RecordHub } from './records/recordHub.js'
import type { WatchFrame } from './records/recordHub.js'
import type { OperationInfo } from './records/recordService.js'
import { RecordService } from './records/recordService.js'
import { SendBudget } from './sendBudget.js'
import { assertCollection } from './records/validation.js'
import { memoryPubSub } from './pubsub/memoryPubSub.js'
import type { PubSub } from './pubsub/types.js'
import { fileStorage } from './storage/fileStorage.js'
import type { RecordScope, StorageProvider } from './storage/types.js'
import { DEFAULT_TICKET_TTL_MS, TicketSigner, parseTicketSecret } from './tickets.js'
import { splitXrpcMethod } from '../wire/watchRecords.js'

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

export interface SyncServer {
  /** `http://host:port`, once started. */
  readonly url: string
  readonly port: number
  readonly httpServer: Server
  /** Resolves once the server accepts and answers connections. */
  start(): Promise<void>
  /** Ends every stream and socket, finishes storage writes and stops listening. */
  close(): Promise<void>
  /**
   * Ends a member's watches of a room at once (`member.removed`), on every instance, like `revoke`. Keeping them
   * out is `authorize`'s job: it is asked again whenever they reconnect, with a token or a ticket.
   */
  removeMember(collection: string, roomUri: string, did: string): number
  /**
   * Ends at once what `userId` has open: document subscriptions (the peer gets `doc-unavailable`
   * and no further changes) and watches (`member.removed`), narrowed by `documentId` or by
   * `collection`/`room`, here and, through the pub/sub, on the other instances. Returns how many
   * ended here. Whatever they open next is authorized again, so make `authorize` refuse first.
   */
  revoke(request: RevokeRequest): number
  /** A watch stream or socket opened. Returns an unsubscribe function, as do the two below. */
  onClientConnect(handler: (event: ClientConnectEvent) => void): () => void
  onClientDisconnect(handler: (event: ClientDisconnectEvent) => void): () => void
  /** One wide event per operation (HTTP call, watch, refused upgrade), with its outcome and duration. */
  onSyncRequest(handler: (event: SyncRequestEvent) => void): () => void
}

const XRPC = /^\/xrpc\/([^/]+)$/
const MIB = 1024 * 1024

/**
 * The reference server, on one port with embedded storage: Automerge documents over the
 * automerge-repo sync protocol on `/` (DESIGN §7), and watchRecords collections (DESIGN §6)
 * over HTTP, SSE and WebSocket under `/xrpc/`.
 */
export function createSyncServer(options: SyncServerOptions = {}): SyncServer {
  const host = options.host ?? '127.0.0.1'
  const onError = options.onError ?? ((error: unknown) => console.error('[syncline]', error))
  const ticketTtlMs = options.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS
  const storage = options.storage ?? fileStorage('./.syncline-data')
  const gate = new Gatekeeper({ authenticate: options.authenticate, authorize: options.authorize })
  const tickets = new TicketSigner(parseTicketSecret(options.ticketSecret))
  const pubsub = options.pubsub ?? memoryPubSub()
  const fanout = new InstanceFanout(pubsub, onError, options.documentFanout ?? 'changes')
  // A room's catch-up log must outlive every ticket that can still ask for it.
  const hub = new RecordHub({ idleRoomMs: Math.max(600_000, 2 * ticketTtlMs), onPublish: (scope, frame) => fanout.publishRecord(scope, frame) })
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxBodyBytes ?? 1024 * 1024 })
  const events = new ServerEvents(onError)
  const peerUsers = new Map<string, string>()
  const maxMessageBytes = options.maxMessageBytes ?? 16 * MIB
  const limits = options.limits ?? {}
  const maxConnections = limits.maxConnections ?? 10_000
  const admission = new ConnectionAdmission({ perUser: limits.maxConnectionsPerUser ?? 100, perAddress: limits.maxConnectionsPerAddress ?? 2000 })
  /** Takes a per-user and per-address slot for a long-lived connection, or throws 429. */
  const admit = (userId: string, req: IncomingMessage): (() => void) => admission.admit(gate.requiresAuthentication ? userId : undefined, req.socket.remoteAddress)
  const sendBudget = new SendBudget(limits.maxSendBufferBytes ?? 256 * MIB)
  const requestLimiter = new RateLimiter(limits.requestsPerSecond ?? 0, limits.requestBurst ?? 2 * (limits.requestsPerSecond ?? 0))
  const keepaliveMs = options.keepaliveMs ?? 15_000
  const docs = createDocSyncService({
    storage,
    maxMessageBytes,
    keepaliveMs,
    ...(limits.maxDocumentsPerConnection !== undefined && { maxDocumentsPerConnection: limits.maxDocumentsPerConnection }),
    ...(limits.idleTimeoutMs !== undefined && { idleTimeoutMs: limits.idleTimeoutMs }),
    ...(limits.joinTimeoutMs !== undefined && { joinTimeoutMs: limits.joinTimeoutMs }),
    ...(limits.messagesPerSecond !== undefined && { messagesPerSecond: limits.messagesPerSecond }),
    ...(limits.messageBurst !== undefined && { messageBurst: limits.messageBurst }),
    ...(limits.maxDocumentBytes !== undefined && { maxDocumentBytes: limits.maxDocumentBytes }),
    ...(limits.maxEphemeralBytes !== undefined && { maxEphemeralBytes: limits.maxEphemeralBytes }),
    ...(limits.ephemeralBytesPerSecond !== undefined && { ephemeralBytesPerSecond: limits.ephemeralBytesPerSecond }),
    sendBudget,
    ...(options.saveDebounceMs !== undefined && { saveDebounceMs: options.saveDebounceMs }),
    // Without an owner's handler, a peer's malformed frames are not worth a console line.
    ...(options.onError && { onError: options.onError }),
    authorize: ({ documentId, request, access }) => docAccess.allows(request, documentId, access),
    // With `authenticate`, only the same user may take over a peer id (a reconnect); without, anyone may, as with the stock server.
    ...(gate.requiresAuthentication && { mayReplace: (requests: { older: IncomingMessage; newer: IncomingMessage }) => docAccess.sameUser(requests) }),
    onPeerJoin: ({ peerId, request }) => {
      const userId = docAccess.userOf(request)
      peerUsers.set(peerId, userId)
      events.clientConnected({ userId, clientId: peerId, transport: 'automerge', remoteAddress: request.socket.remoteAddress })
    },
    onPeerLeave: ({ peerId, request }) => {
      peerUsers.delete(peerId)
      events.clientDisconnected({ userId: docAccess.userOf(request), clientId: peerId, transport: 'automerge', reason: 'closed' })
    },
    onDocumentStored: (documentId) => fanout.documentStored(documentId),
    onDocumentChanged: (documentId, changes) => fanout.documentChanged(documentId, changes),
    onSyncMessage: ({ peerId, documentId, type, status, durationMs }) =>
      events.syncRequest({
        userId: peerUsers.get(peerId),
        clientId: peerId,
        type,
        documentId,
        status: status === 'denied' ? 'forbidden' : status,
        durationMs,
        bytes: 0,
      }),
  })
  // Just above the service's own limit, so that it (not ws) answers oversize frames with an error message.
  const docsWss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes + MIB })
  const records = new RecordService({
    events,
    storage,
    hub,
    gate,
    tickets,
    wss,
    ticketTtlMs,
    keepaliveMs,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxRecordDepth: limits.maxRecordDepth ?? 64,
    admit,
    sendBudget,
    onError,
  })
  const docAccess = new DocumentAccess(gate, records.access)
  /** `revoke` on this instance; the others do the same when the fan-out tells them. */
  const revokeHere = ({ userId, documentId, collection, room }: RevokeRequest): number => {
    const ofUser = (req: IncomingMessage): boolean => docAccess.userOf(req) === userId
    const documents = collection === undefined && room === undefined ? docs.revoke({ request: ofUser, ...(documentId !== undefined && { documentId }) }) : 0
    return documents + (documentId === undefined ? records.revoke({ userId, ...(collection !== undefined && { collection }), ...(room !== undefined && { room }) }) : 0)
  }

  const route = async (req: IncomingMessage, res: ServerResponse, op: OperationInfo): Promise<void> => {
    const url = requestUrl(req)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS)
      return void res.end()
    }
    if (url.pathname === '/health' || url.pathname === '/') {
      return sendJson(res, 200, { ok: true, name: 'syncline', watchers: hub.watcherCount, peers: docs.peerCount })
    }
    const method = XRPC.exec(url.pathname)?.[1]
    if (!method) throw new HttpError(404, 'NotFound', `Nothing at ${url.pathname}`)
    op.type = method
    if (!requestLimiter.take(req.socket.remoteAddress ?? '')) {
      throw new HttpError(429, 'RateLimited', 'Too many requests from this address; retry in a second', { 'retry-after': '1' })
    }
    if (method.endsWith('.watchRecords') && url.searchParams.get('mode') !== 'ws') assertConnectionRoom()
    if (method === 'realtime.ticket') return records.mintTicket(req, res, url, op, assertCollection)
    const { collection, name } = splitMethod(method)
    Object.assign(op, { type: name, collection })
    return records.handle(name, collection, req, res, url, op)
  }

  /** Emits the operation's wide event; health checks and preflights are not operations. */
  const report = (op: OperationInfo, req: IncomingMessage, started: number, httpStatus: number): void => {
    if (op.type === undefined) return
    events.syncRequest({
      userId: op.userId,
      ...(op.clientId !== undefined && { clientId: op.clientId }),
      type: op.type,
      ...(op.collection !== undefined && { collection: op.collection }),
      ...(op.room !== undefined && { room: op.room }),
      status: requestStatus(httpStatus),
      httpStatus,
      durationMs: performance.now() - started,
      bytes: Number(req.headers['content-length']) || 0,
    })
  }

  const httpServer = createServer((req, res) => {
    const started = performance.now()
    const op: OperationInfo = {}
    route(req, res, op).then(
      () => report(op, req, started, res.statusCode),
      (error: unknown) => {
        const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalServerError', 'The server failed to answer this request')
        if (failure !== error) onError(error)
        sendError(res, failure)
        report(op, req, started, failure.status)
      },
    )
  })

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const started = performance.now()
    const op: OperationInfo = {}
    try {
      const url = requestUrl(req)
      assertConnectionRoom()
      if (url.pathname === '/') return void acceptDocSocket(req, socket, head, url, op, started)
      const method = XRPC.exec(url.pathname)?.[1]
      if (!method) throw new HttpError(404, 'NotFound', `No WebSocket endpoint at ${url.pathname}`)
      const { collection, name } = splitMethod(method)
      Object.assign(op, { type: `${name}.socket`, collection })
      if (name !== 'watchRecords') throw new HttpError(404, 'NotFound', `${method} does not take WebSockets`)
      records.upgrade(collection, req, socket, head, url, op).then(() => report(op, req, started, 101), refuse)
    } catch (error) {
      refuse(error)
    }
    function refuse(error: unknown): void {
      if (!(error instanceof HttpError)) onError(error)
      const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalServerError', 'Upgrade failed')
      refuseUpgrade(socket, failure)
      report(op, req, started, failure.status)
    }
  })

  /** Long-lived connections are what exhaust a server: refuse one more past the limit. */
  const assertConnectionRoom = (): void => {
    if (docs.connectionCount + hub.watcherCount >= maxConnections) {
      throw new HttpError(503, 'TooManyConnections', `The server is at its limit of ${maxConnections} connections; retry later`, { 'retry-after': '5' })
    }
  }

  /** `/` speaks the automerge-repo protocol. The caller (documents ticket or token) is identified once, before the upgrade. */
  const acceptDocSocket = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo, started: number): Promise<void> => {
    op.type = 'connect'
    try {
      const identity = await docAccess.identify(req, url)
      op.userId = identity.userId
      releaseWhenClosed(socket, admit(identity.userId, req))
      docsWss.handleUpgrade(req, socket, head, (ws) => docs.handleConnection(ws, req))
      report(op, req, started, 101)
    } catch (error) {
      if (!(error instanceof HttpError)) onError(error)
      const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalServerError', 'Upgrade failed')
      refuseUpgrade(socket, failure)
      report(op, req, started, failure.status)
    }
  }

  let port = options.port ?? 3030
  let started: Promise<void> | null = null
  let closing: Promise<void> | null = null

  return {
    get url() {
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
      return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
    },
    get port() {
      return port
    },
    httpServer,
    start() {
      started ??= (async () => {
        // Listening to the other instances before accepting clients: no write can slip between.
        await fanout.start({
          record: ({ collection, room, frame }) => hub.deliver({ collection, room }, frame),
          document: ({ documentId, changes }) => {
            if (changes === undefined) void docs.refreshFromStorage(documentId)
            else docs.applyRemoteChanges(documentId, Buffer.from(changes, 'base64'))
          },
          revoke: ({ request }) => revokeHere(request),
          // Notices were lost while the broker was away: watchers take a fresh snapshot from
          // the shared storage, and documents in memory merge what storage holds.
          resync: () => {
            hub.endAll()
            void docs.refreshAllFromStorage()
          },
        })
        await new Promise<void>((resolve, reject) => {
          const fail = (error: Error): void => reject(error)
          httpServer.once('error', fail)
          httpServer.listen(port, host, () => {
            httpServer.off('error', fail)
            port = (httpServer.address() as AddressInfo).port
            resolve()
          })
        })
      })()
      return started
    },
    close() {
      closing ??= (async () => {
        records.close()
        // Flushes documents still waiting for their coalesced write, then closes their sockets.
        await docs.close()
        wss.close()
        docsWss.close()
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()))
        // Keep-alive HTTP connections would otherwise hold close() open until they time out.
        httpServer.closeAllConnections()
        await (started ? stopped : Promise.resolve())
        await fanout.stop()
        // A pub/sub passed in may be shared with other instances: only the default one is ours.
        if (options.pubsub === undefined) await pubsub.close()
        await storage.close()
      })()
      return closing
    },
    removeMember(collection, roomUri, did) {
      fanout.revoked({ userId: did, collection, room: roomUri })
      return hub.removeMember({ collection, room: roomUri }, did)
    },
    revoke(request) {
      fanout.revoked(request)
      return revokeHere(request)
    },
    onClientConnect: events.onClientConnect,
    onClientDisconnect: events.onClientDisconnect,
    onSyncRequest: events.onSyncRequest,
  }
}

function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost')
  } catch {
    throw new HttpError(400, 'InvalidRequest', 'Malformed request URL')
  }
}

/** `com.example.message.watchRecords` → collection `com.example.message`, method `watchRecords`. */
function splitMethod(method: string): { collection: string; name: string } {
  const split = splitXrpcMethod(method)
  assertCollection(split.collection)
  return split
}

function refuseUpgrade(socket: Duplex, error: HttpError): void {
  if (!socket.writable) return void socket.destroy()
  const body = JSON.stringify({ error: error.error, message: error.message })
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      'connection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** Token buckets per key (a remote address), refilled continuously; idle full buckets are forgotten. */
class RateLimiter {
  readonly #perSecond: number
  readonly #burst: number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  #sweptAt = performance.now()

  constructor(perSecond: number, burst: number) {
    this.#perSecond = perSecond
    this.#burst = burst
  }

  take(key: string): boolean {
    if (this.#perSecond <= 0) return true
    const now = performance.now()
    this.#sweep(now)
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#perSecond)
    bucket.at = now
    this.#buckets.set(key, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < 60_000) return
    this.#sweptAt = now
    const refill = (this.#burst / this.#perSecond) * 1000
    for (const [key, bucket] of this.#buckets) if (now - bucket.at > refill) this.#buckets.delete(key)
  }
}

const RECORDS_TOPIC = 'records'
const DOCUMENTS_TOPIC = 'documents'
const REVOCATIONS_TOPIC = 'revocations'

interface RecordNotice {
  origin: string
  collection: string
  room: string
  frame: WatchFrame
}
interface DocumentNotice {
  origin: string
  documentId: string
  /** The change bytes, base64; absent for a "read it from storage" notice. */
  changes?: string
}

interface RevokeNotice {
  origin: string
  request: RevokeRequest
}

/** Larger changes travel as a notice: the others read them from storage instead. */
const MAX_PUBLISHED_CHANGE_BYTES = 256 * 1024

/**
 * This instance's side of the pub/sub: it announces its record events and document writes,
 * and applies the other instances'. Both topics are server-wide (every instance hears every
 * write), which keeps subscriptions free of races at the cost of some traffic per write.
 * Document changes travel as their bytes (applying them twice is harmless) or, when large or
 * in `'notice'` mode, as a notice to read the document from the shared storage; nothing is
 * buffered per document, and the resync after a broker outage covers lost messages.
 */
class InstanceFanout {
  readonly origin = randomUUID()
  readonly #pubsub: PubSub
  readonly #onError: (error: unknown) => void
  readonly #encoder = new TextEncoder()
  readonly #decoder = new TextDecoder()
  readonly #mode: 'changes' | 'notice'
  /** Documents whose last change was too large to publish: they get a notice once stored. */
  readonly #noticeAfterStore = new Set<string>()
  #unsubscribers: Array<() => Promise<void>> = []

  constructor(pubsub: PubSub, onError: (error: unknown) => void, mode: 'changes' | 'notice') {
    this.#pubsub = pubsub
    this.#onError = onError
    this.#mode = mode
  }

  async start(handlers: { record(notice: RecordNotice): void; document(notice: DocumentNotice): void; revoke(notice: RevokeNotice): void; resync(): void }): Promise<void> {
    const listen = <T extends { origin: string }>(topic: string, handle: (notice: T) => void) =>
      this.#pubsub.subscribe(topic, (message) => {
        try {
          const notice = JSON.parse(this.#decoder.decode(message)) as T
          if (notice.origin !== this.origin) handle(notice)
        } catch (error) {
          this.#onError(error)
        }
      })
    this.#unsubscribers = await Promise.all([
      listen<RecordNotice>(RECORDS_TOPIC, handlers.record),
      listen<DocumentNotice>(DOCUMENTS_TOPIC, handlers.document),
      listen<RevokeNotice>(REVOCATIONS_TOPIC, handlers.revoke),
    ])
    const offStatus = this.#pubsub.onStatus((status) => {
      if (status === 'up') handlers.resync()
    })
    this.#unsubscribers.push(async () => offStatus())
  }

  async stop(): Promise<void> {
    await Promise.all(this.#unsubscribers.splice(0).map((unsubscribe) => unsubscribe().catch(() => {})))
  }

  publishRecord({ collection, room }: RecordScope, frame: WatchFrame): void {
    this.#send(RECORDS_TOPIC, { origin: this.origin, collection, room, frame } satisfies RecordNotice)
  }

  documentChanged(documentId: string, changes: Uint8Array): void {
    if (this.#mode === 'changes' && changes.byteLength <= MAX_PUBLISHED_CHANGE_BYTES) {
      this.#send(DOCUMENTS_TOPIC, { origin: this.origin, documentId, changes: Buffer.from(changes).toString('base64') } satisfies DocumentNotice)
    } else {
      this.#noticeAfterStore.add(documentId)
    }
  }

  /** `server.revoke` / `removeMember` here: the other instances end that user's access too. */
  revoked(request: RevokeRequest): void {
    this.#send(REVOCATIONS_TOPIC, { origin: this.origin, request } satisfies RevokeNotice)
  }

  documentStored(documentId: string): void {
    if (!this.#noticeAfterStore.delete(documentId)) return
    this.#send(DOCUMENTS_TOPIC, { origin: this.origin, documentId } satisfies DocumentNotice)
  }

  #send(topic: string, notice: RecordNotice | DocumentNotice | RevokeNotice): void {
    // Never awaited by a write: the data is already stored, and a lost notice is repaired by
    // the resync after the broker comes back.
    this.#pubsub.publish(topic, this.#encoder.encode(JSON.stringify(notice))).catch((error: unknown) => this.#onError(error))
  }
}
