import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { SendBudget } from '../sendBudget.js'
import type { DocStorage } from '../storage/types.js'
import { DocumentRegistry } from './documentRegistry.js'
import { JoinDeadlines } from './joinDeadlines.js'
import { CLOSE_GOING_AWAY } from '../../wire/closeCodes.js'
import { PeerConnection } from './peerConnection.js'
import { ProtocolError } from './protocol.js'
import type { SyncOutcome } from './syncedDocument.js'
import { joinRefusal } from './peerAccess.js'
import { ConnectionDocuments } from './connectionDocuments.js'
import { DEFAULT_MAX_SYNC_MESSAGE_BYTES } from './boundedSync.js'

export { memoryDocStorage } from './memoryDocStorage.js'

export type { DocStorage } from '../storage/types.js'

export interface DocSyncServiceOptions {
  storage: DocStorage
  /** The server's peer id in the protocol. @default `syncline-server-<random uuid>` */
  peerId?: string
  /** Larger frames get an `error` message and close the connection (1009). @default 16 MiB */
  maxMessageBytes?: number
  /**
   * Estimated size of a document once loaded (uncompressed bytes plus 4 per operation): a
   * change that would grow a document past it is refused with an `error` and neither applied,
   * stored nor relayed; a stored document past it is not loaded. @default 64 MiB
   */
  maxDocumentBytes?: number
  /**
   * Changes one sync message to a peer carries at most: a peer missing more (a backlog) gets
   * several messages, and can apply them a task at a time. @default 0 (off: one message, as Automerge generates it; see boundedSync.ts for why)
   */
  maxSyncMessageBytes?: number
  /** Base delay of the backoff between retries of a failed document write. @default 100 */
  saveDebounceMs?: number
  /** A peer that misses a ping for this long is dropped; 0 turns pings off. @default 30000 */
  heartbeatMs?: number
  /**
   * How often a peer that asks for it (`peerMetadata.synclineHeartbeat: true` on `join`, as the
   * syncline client does) gets a `syncline-heartbeat` message it can see; 0 never. @default 15000
   */
  keepaliveMs?: number
  /** Documents one connection may use; opening one more gets an `error` and a close (1008). @default 10000 */
  maxDocumentsPerConnection?: number
  /** A connection that sends nothing for this long is closed (4008); 0 never. @default 0 */
  idleTimeoutMs?: number
  /** A connection that has not sent `join` this long after opening is closed (4008); 0 never. @default 10000 */
  joinTimeoutMs?: number
  /** Average messages per second per connection; beyond, an `error` and a close (1008); 0 for no limit. @default 1000 */
  messagesPerSecond?: number
  /** Messages a connection may send at once above the average (every document re-announced after a reconnect). @default 20000 */
  messageBurst?: number
  /** Largest `ephemeral` frame relayed; bigger ones get an `error` and are dropped; 0 for no limit. @default 64 KiB */
  maxEphemeralBytes?: number
  /** Bytes of `ephemeral` frames per second per connection; beyond, an `error` and a close (1008); 0 for no limit. @default 256 KiB */
  ephemeralBytesPerSecond?: number
  /**
   * Unsent bytes over all connections (share one with the other sockets of the server); past
   * it, the connection holding the most is closed (1013). @default its own budget of 256 MiB
   */
  sendBudget?: SendBudget
  /**
   * Bad input and storage failures are reported here, never thrown.
   * @default protocol errors (a peer's bad frames) are dropped, anything else goes to `console.error`
   */
  onError?: (error: unknown) => void
  /**
   * Decides whether a connection may use a document: `access: 'read'` once per connection and
   * document, before its first message for it is handled — refused (or throwing), the peer gets
   * `doc-unavailable`, which stock automerge-repo clients understand; `access: 'write'` when a
   * message of the peer would first change the document — refused, that change is not applied,
   * stored or relayed and the peer gets an `error`, but it keeps receiving the document.
   * @default every peer may read and change every document
   */
  authorize?: (input: { peerId: string; documentId: string; request: IncomingMessage; access: 'read' | 'write' }) => boolean | Promise<boolean>
  /**
   * Whether a join may take over the peer id of an open connection (which is then closed, as the
   * stock server does for a reconnecting client). Refused, the join gets an `error` and a close.
   * @default always (give a same-user check, or anyone can cut off a peer by naming its id)
   */
  mayReplace?: (input: { older: IncomingMessage; newer: IncomingMessage }) => boolean
  onPeerJoin?: (event: { peerId: string; request: IncomingMessage }) => void
  onPeerLeave?: (event: { peerId: string; request: IncomingMessage }) => void
  /** After each `sync`/`request` has been handled (and its answers sent). */
  onSyncMessage?: (event: SyncMessageEvent) => void
  /** After a document's changes are in storage: tell the other instances. */
  onDocumentStored?: (documentId: string) => void
  /** As soon as a peer's changes are applied here: their bytes, for the other instances. */
  onDocumentChanged?: (documentId: string, changes: Uint8Array) => void
}

export interface SyncMessageEvent {
  peerId: string
  documentId: string
  type: 'sync' | 'request'
  status: SyncOutcome | 'denied'
  durationMs: number
}

export interface DocSyncService {
  /** Takes over one accepted WebSocket (from ws's WebSocketServer, noServer mode) for its lifetime. */
  handleConnection(socket: WebSocket, request: IncomingMessage): void
  /** Number of connected peers (for health/metrics). */
  readonly peerCount: number
  /** Open sockets, joined or not (for the server's connection limit). */
  readonly connectionCount: number
  /** Another instance stored changes to this document: merge them from storage. */
  refreshFromStorage(documentId: string): Promise<void>
  /** Changes another instance received for this document, applied if it is in memory here. */
  applyRemoteChanges(documentId: string, changes: Uint8Array): void
  /** Merges every document in memory from storage (after notices may have been missed). */
  refreshAllFromStorage(): Promise<void>
  /**
   * Ends the subscriptions of the connections `request` picks, to `documentId` or to all: each
   * gets `doc-unavailable` and no further changes, and its next message is authorized afresh.
   * Returns how many ended.
   */
  revoke(filter: { request: (request: IncomingMessage) => boolean; documentId?: string }): number
  /** Flushes pending storage writes and closes every socket with code 1001 and a reason. */
  close(): Promise<void>
}

const MIB = 1024 * 1024

/**
 * The documents half of the reference server: an automerge-repo protocol "1" peer that
 * keeps every document in memory while someone uses it, relays each change to the other
 * subscribed peers in the same turn, and writes documents to `storage` a little later.
 *
 * ```ts
 * const docs = createDocSyncService({ storage })
 * const wss = new WebSocketServer({ noServer: true, maxPayload: 17 * 1024 * 1024 })
 * httpServer.on('upgrade', (request, socket, head) => {
 *   // authenticate here, then:
 *   wss.handleUpgrade(request, socket, head, (ws) => docs.handleConnection(ws, request))
 * })
 * // shutdown: await docs.close(); wss.close()
 * ```
 */
export function createDocSyncService(options: DocSyncServiceOptions): DocSyncService {
  const serverPeerId = options.peerId ?? `syncline-server-${randomUUID()}`
  const maxMessageBytes = options.maxMessageBytes ?? 16 * MIB
  const heartbeatMs = options.heartbeatMs ?? 30_000
  // Each open document costs a sync state, and requests are cheap to send.
  const maxDocuments = options.maxDocumentsPerConnection ?? 10_000
  const { authorize, onPeerJoin, onPeerLeave, onSyncMessage } = options

  const reportError = (error: unknown): void => {
    try {
      if (options.onError) options.onError(error)
      else if (!(error instanceof ProtocolError)) console.error('[syncline docs]', error)
    } catch {
      // A throwing error handler must not take the server down with it.
    }
  }
  /** Runs a user callback; whatever it throws is reported, not propagated into the socket code. */
  const safely = <T>(fn: ((event: T) => void) | undefined, event: T): void => {
    if (!fn) return
    try {
      fn(event)
    } catch (error) {
      reportError(error)
    }
  }

  const registry = new DocumentRegistry({
    storage: options.storage,
    serverPeerId,
    saveDebounceMs: options.saveDebounceMs ?? 100,
    maxDocumentBytes: options.maxDocumentBytes ?? 64 * MIB,
    maxSyncMessageBytes: options.maxSyncMessageBytes ?? DEFAULT_MAX_SYNC_MESSAGE_BYTES,
    reportError,
    onStored: (documentId) => safely(options.onDocumentStored, documentId),
    // Wrapped like every hook: a throw here would skip the relay and the save of the change.
    ...(options.onDocumentChanged && { onChanged: (documentId: string, changes: Uint8Array) => safely((id: string) => options.onDocumentChanged!(id, changes), documentId) }),
  })
  let closed = false
  const peers = new ConnectionDocuments({
    registry,
    serverPeerId,
    maxDocuments,
    authorize,
    reportError,
    handled: (event) => safely(onSyncMessage, event),
    isClosed: () => closed,
  })
  const sendBudget = options.sendBudget ?? new SendBudget(256 * MIB)
  const joinDeadlines = new JoinDeadlines(options.joinTimeoutMs ?? 10_000)
  let heartbeat: ReturnType<typeof setInterval> | undefined

  const onJoin = (peer: PeerConnection): void => {
    joinDeadlines.clear(peer)
    // A repeated join starts over, as the client resets its own sync states after a `peer`.
    peers.detachAll(peer)
    for (const other of peers.connections) {
      // As the stock server does: the newest connection of a peer id wins.
      if (other !== peer && other.joined && other.peerId === peer.peerId) other.close(1000, 'replaced by a newer connection of this peer')
    }
    safely(onPeerJoin, { peerId: peer.peerId, request: peer.request })
  }

  const onClose = (peer: PeerConnection): void => {
    joinDeadlines.clear(peer)
    if (!peers.has(peer)) return
    peers.remove(peer)
    if (peer.joined) safely(onPeerLeave, { peerId: peer.peerId, request: peer.request })
    if (peers.size === 0 && heartbeat !== undefined) {
      clearInterval(heartbeat)
      heartbeat = undefined
    }
  }

  const startHeartbeat = (): void => {
    if (heartbeat !== undefined || heartbeatMs <= 0) return
    heartbeat = setInterval(() => {
      for (const peer of peers.connections) {
        if (!peer.alive) {
          peer.terminate()
          continue
        }
        peer.alive = false
        peer.ping()
      }
    }, heartbeatMs)
    heartbeat.unref()
  }

  return {
    handleConnection(socket, request) {
      if (closed) {
        socket.close(CLOSE_GOING_AWAY, 'server is shutting down')
        return
      }
      const peer = new PeerConnection(socket, request, {
        serverPeerId,
        maxMessageBytes,
        maxBufferedBytes: Math.max(64 * MIB, 4 * maxMessageBytes),
        reportError,
        refuseJoin: (peer, senderId) => joinRefusal(peers.connections, peer, senderId, options.mayReplace),
        onJoin,
        onMessage: (peer, message) => peers.route(peer, message),
        onClose,
        idleTimeoutMs: options.idleTimeoutMs ?? 0,
        messagesPerSecond: options.messagesPerSecond ?? 1000,
        messageBurst: options.messageBurst ?? 20_000,
        keepaliveMs: options.keepaliveMs ?? 15_000,
        maxEphemeralBytes: options.maxEphemeralBytes ?? 64 * 1024,
        ephemeralBytesPerSecond: options.ephemeralBytesPerSecond ?? 256 * 1024,
        sendBudget,
      })
      peers.add(peer)
      joinDeadlines.arm(peer)
      startHeartbeat()
    },

    refreshFromStorage: (documentId) => registry.refresh(documentId).catch(reportError),
    applyRemoteChanges: (documentId, changes) => registry.applyRemote(documentId, changes),

    async refreshAllFromStorage() {
      await Promise.all(registry.ids.map((documentId) => registry.refresh(documentId).catch(reportError)))
    },

    get connectionCount() {
      return peers.size
    },

    get peerCount() {
      let count = 0
      for (const peer of peers.connections) if (peer.active) count++
      return count
    },

    revoke: (filter) => peers.revoke(filter),

    async close() {
      if (closed) return registry.closed
      closed = true
      if (heartbeat !== undefined) clearInterval(heartbeat)
      heartbeat = undefined
      for (const peer of peers.connections) peer.close(CLOSE_GOING_AWAY, 'server is shutting down')
      return registry.close()
    },
  }
}
