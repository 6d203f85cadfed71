import type { IncomingMessage, Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConnectionAdmission } from './admission.js'
import type { RevokeRequest } from './auth.js'
import { Gatekeeper } from './auth.js'
import { DocumentAccess } from './docAccess.js'
import type { ClientConnectEvent, ClientDisconnectEvent, SyncRequestEvent } from './events.js'
import { ServerEvents } from './events.js'
import { Lockouts } from './lockouts.js'
import { lazyDocuments } from './lazyDocuments.js'
import { InstanceFanout } from './pubsub/instanceFanout.js'
import { RecordHub } from './records/recordHub.js'
import { RecordService } from './records/recordService.js'
import { createRoutes } from './routes.js'
import type { SyncServerOptions } from './serverOptions.js'
import { serverSettings } from './serverOptions.js'
import { SendBudget } from './sendBudget.js'
import { TicketSigner, parseTicketSecret } from './tickets.js'
import { RateLimiter } from './tokenBucket.js'
import { LazyWebSocketServer } from './webSocketServer.js'

export type { SyncServerLimits, SyncServerOptions } from './serverOptions.js'

export interface SyncServer {
  /** `http://host:port`, once started. */
  readonly url: string
  readonly port: number
  readonly httpServer: Server
  /** Resolves once the server accepts and answers connections. */
  start(): Promise<void>
  /** Ends every stream and socket, finishes storage writes and stops listening. */
  close(): Promise<void>
  /** `revoke({ userId: did, collection, room })`: ends the member's watches of that room and keeps them out. */
  removeMember(collection: string, roomUri: string, did: string): number
  /** `restore({ userId: did, collection, room })`: lets a removed member back into that room. */
  addMember(collection: string, roomUri: string, did: string): void
  /**
   * Ends at once what `userId` has open: document subscriptions (the peer gets `doc-unavailable`
   * and no further changes) and watches (`member.removed`), narrowed by `documentId` or by
   * `collection`/`room`, here and, through the pub/sub, on the other instances. Returns how many
   * ended here. From then on the same scope is refused with 403 (watches, lists, tickets,
   * writes, document syncs) whatever `authorize` says, until `restore` lifts it.
   */
  revoke(request: RevokeRequest): number
  /**
   * Lifts the lockouts of `revoke`/`removeMember` that this request names (`{ userId }` alone:
   * all of that user's), on every instance; `authorize` decides again. A wider lockout stays.
   */
  restore(request: RevokeRequest): void
  /** A watch stream or socket opened. Returns an unsubscribe function, as do the two below. */
  onClientConnect(handler: (event: ClientConnectEvent) => void): () => void
  onClientDisconnect(handler: (event: ClientDisconnectEvent) => void): () => void
  /** One wide event per operation (HTTP call, watch, refused upgrade), with its outcome and duration. */
  onSyncRequest(handler: (event: SyncRequestEvent) => void): () => void
}

/**
 * The reference server, on one port with embedded storage: Automerge documents over the
 * automerge-repo sync protocol on `/` (DESIGN §7), and watchRecords collections (DESIGN §6)
 * over HTTP, SSE and WebSocket under `/xrpc/`.
 *
 * This function only wires the parts: options and their defaults (serverOptions.ts), the
 * records half (records/recordService.ts), the documents half (lazyDocuments.ts, docs/mount.ts on first use), the
 * instances' pub/sub (pubsub/instanceFanout.ts), connection admission (admission.ts) and
 * HTTP routing (routes.ts).
 */
export function createSyncServer(options: SyncServerOptions = {}): SyncServer {
  const settings = serverSettings(options)
  const { host, storage, pubsub, onError, ticketTtlMs, keepaliveMs } = settings
  const lockouts = new Lockouts()
  const gate = new Gatekeeper({ authenticate: options.authenticate, authorize: options.authorize, lockedOut: (request) => lockouts.blocks(request) })
  const events = new ServerEvents(onError)
  const fanout = new InstanceFanout(pubsub, onError, settings.documentFanout, settings.ownsPubsub)
  // A room's catch-up log must outlive every ticket that can still ask for it.
  const hub = new RecordHub({ idleRoomMs: Math.max(600_000, 2 * ticketTtlMs), onPublish: (scope, frame) => fanout.publishRecord(scope, frame) })
  const admission = new ConnectionAdmission({ perUser: settings.maxConnectionsPerUser, perAddress: settings.maxConnectionsPerAddress })
  /** Takes a per-user and per-address slot for a long-lived connection, or throws 429. */
  const admit = (userId: string, req: IncomingMessage): (() => void) => admission.admit(gate.requiresAuthentication ? userId : undefined, req.socket.remoteAddress)
  const sendBudget = new SendBudget(settings.maxSendBufferBytes)
  const wss = new LazyWebSocketServer({ maxPayload: settings.maxBodyBytes })

  const records = new RecordService({
    events,
    storage,
    hub,
    gate,
    tickets: new TicketSigner(parseTicketSecret(options.ticketSecret)),
    wss,
    ticketTtlMs,
    keepaliveMs,
    publicOrigin: settings.publicOrigin,
    maxBodyBytes: settings.maxBodyBytes,
    maxRecordDepth: settings.maxRecordDepth,
    admit,
    sendBudget,
    onError,
  })
  const docAccess = new DocumentAccess(gate, records.access)
  // Imported by start(), when Automerge is installed: a records-only server needs none.
  const documents = lazyDocuments({
    storage,
    maxMessageBytes: settings.maxMessageBytes,
    keepaliveMs,
    limits: settings.documentLimits,
    sendBudget,
    access: docAccess,
    requiresAuthentication: gate.requiresAuthentication,
    events,
    fanout,
    admit,
    onError,
  })
  const routes = createRoutes({
    records,
    documents,
    hub,
    events,
    requestLimiter: new RateLimiter(settings.requestsPerSecond, settings.requestBurst),
    maxConnections: settings.maxConnections,
    onError,
  })
  const httpServer = createServer(routes.request)
  httpServer.on('upgrade', routes.upgrade)

  /** `revoke` on this instance; the others do the same when the fan-out tells them. */
  const revokeHere = (request: RevokeRequest): number => {
    const { userId, documentId, collection, room } = request
    // Locked out first: a reconnect racing this revoke must not slip back in.
    lockouts.add(request)
    const ofUser = (req: IncomingMessage): boolean => docAccess.userOf(req) === userId
    const endedDocuments = collection === undefined && room === undefined ? documents.revoke({ request: ofUser, ...(documentId !== undefined && { documentId }) }) : 0
    return endedDocuments + (documentId === undefined ? records.revoke({ userId, ...(collection !== undefined && { collection }), ...(room !== undefined && { room }) }) : 0)
  }

  const revoke = (request: RevokeRequest): number => {
    fanout.revoked(request)
    return revokeHere(request)
  }
  const restore = (request: RevokeRequest): void => {
    fanout.restored(request)
    lockouts.lift(request)
  }

  let port = settings.port
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
        // `ws` is an optional peer: without it, start() fails here saying what to install.
        await wss.ready()
        await documents.preload()
        // Listening to the other instances before accepting clients: no write can slip between.
        await fanout.start({
          record: ({ collection, room, frame }) => hub.deliver({ collection, room }, frame),
          document: ({ documentId, changes }) => {
            if (changes === undefined) void documents.refreshFromStorage(documentId)
            else documents.applyRemoteChanges(documentId, Buffer.from(changes, 'base64'))
          },
          revoke: ({ request, restore }) => (restore ? lockouts.lift(request) : revokeHere(request)),
          // Notices were lost while the broker was away: watchers take a fresh snapshot from
          // the shared storage, and documents in memory merge what storage holds.
          resync: () => {
            hub.endAll()
            void documents.refreshAllFromStorage()
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
        await documents.close()
        wss.close()
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()))
        // Keep-alive HTTP connections would otherwise hold close() open until they time out.
        httpServer.closeAllConnections()
        await (started ? stopped : Promise.resolve())
        await fanout.stop()
        // A pub/sub passed in may be shared with other instances: only the default one is ours.
        if (settings.ownsPubsub) await pubsub.close()
        await storage.close()
      })()
      return closing
    },
    removeMember: (collection, roomUri, did) => revoke({ userId: did, collection, room: roomUri }),
    addMember: (collection, roomUri, did) => restore({ userId: did, collection, room: roomUri }),
    revoke,
    restore,
    onClientConnect: events.onClientConnect,
    onClientDisconnect: events.onClientDisconnect,
    onSyncRequest: events.onSyncRequest,
  }
}
