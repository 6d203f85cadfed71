import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { releaseWhenClosed } from '../admission.js'
import type { DocumentAccess } from '../docAccess.js'
import type { OperationInfo, ServerEvents } from '../events.js'
import type { InstanceFanout } from '../pubsub/instanceFanout.js'
import type { SendBudget } from '../sendBudget.js'
import type { DocStorage } from '../storage/types.js'
import { LazyWebSocketServer } from '../webSocketServer.js'
import type { DocSyncService, DocSyncServiceOptions } from './docSyncService.js'
import { createDocSyncService } from './docSyncService.js'

const MIB = 1024 * 1024

/** The server's options that reach the documents half; absent ones take the service's defaults. */
type DocumentLimits = { [K in keyof PickedLimits]: PickedLimits[K] | undefined }
type PickedLimits = Pick<
  DocSyncServiceOptions,
  | 'maxDocumentsPerConnection'
  | 'idleTimeoutMs'
  | 'joinTimeoutMs'
  | 'messagesPerSecond'
  | 'messageBurst'
  | 'maxDocumentBytes'
  | 'maxSyncMessageBytes'
  | 'maxEphemeralBytes'
  | 'ephemeralBytesPerSecond'
  | 'saveDebounceMs'
  | 'onError'
>

export interface DocumentMountOptions {
  storage: DocStorage
  maxMessageBytes: number
  keepaliveMs: number
  limits: DocumentLimits
  sendBudget: SendBudget
  access: DocumentAccess
  /** With authentication, only the same user may take over a peer id. */
  requiresAuthentication: boolean
  events: ServerEvents
  fanout: InstanceFanout
  /** Takes a per-user and per-address connection slot, or throws 429; returns its release. */
  admit: (userId: string, request: IncomingMessage) => () => void
}

export interface DocumentMount {
  readonly service: DocSyncService
  /** `/` speaks the automerge-repo protocol. The caller (documents ticket or token) is identified once, before the upgrade. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo): Promise<void>
  close(): Promise<void>
}

/**
 * The documents half of the server, wired to the rest: access decides per document, the
 * fan-out carries changes to the other instances, and joins, leaves and sync messages
 * become the server's events.
 */
export function mountDocuments({ storage, maxMessageBytes, keepaliveMs, limits, sendBudget, access, requiresAuthentication, events, fanout, admit }: DocumentMountOptions): DocumentMount {
  /** The user behind each joined peer id, and the connection that joined it. */
  const peerUsers = new Map<string, { userId: string; request: IncomingMessage }>()
  const service = createDocSyncService({
    storage,
    maxMessageBytes,
    keepaliveMs,
    ...withoutUndefined(limits),
    sendBudget,
    authorize: ({ documentId, request, access: wanted }) => access.allows(request, documentId, wanted),
    // With `authenticate`, only the same user may take over a peer id (a reconnect); without, anyone may, as with the stock server.
    ...(requiresAuthentication && { mayReplace: (requests: { older: IncomingMessage; newer: IncomingMessage }) => access.sameUser(requests) }),
    onPeerJoin: ({ peerId, request }) => {
      const userId = access.userOf(request)
      peerUsers.set(peerId, { userId, request })
      events.clientConnected({ userId, clientId: peerId, transport: 'automerge', remoteAddress: request.socket.remoteAddress })
    },
    onPeerLeave: ({ peerId, request }) => {
      // A replaced connection closes after its successor joined: the entry is the newer one's then.
      if (peerUsers.get(peerId)?.request === request) peerUsers.delete(peerId)
      events.clientDisconnected({ userId: access.userOf(request), clientId: peerId, transport: 'automerge', reason: 'closed' })
    },
    // A lone instance tells nobody: no change bytes are made for a pub/sub nobody else hears.
    ...(!fanout.alone && {
      onDocumentStored: (documentId: string) => fanout.documentStored(documentId),
      onDocumentChanged: (documentId: string, changes: Uint8Array) => fanout.documentChanged(documentId, changes),
    }),
    onSyncMessage: ({ peerId, documentId, type, status, durationMs }) =>
      events.syncRequest({
        userId: peerUsers.get(peerId)?.userId,
        clientId: peerId,
        type,
        documentId,
        status: status === 'denied' ? 'forbidden' : status,
        durationMs,
        bytes: 0,
      }),
  })
  // Just above the service's own limit, so that it (not ws) answers oversize frames with an error message.
  const wss = new LazyWebSocketServer({ maxPayload: maxMessageBytes + MIB })

  return {
    service,
    async upgrade(req, socket, head, url, op) {
      op.type = 'connect'
      const identity = await access.identify(req, url)
      op.userId = identity.userId
      releaseWhenClosed(socket, admit(identity.userId, req))
      await wss.handleUpgrade(req, socket, head, (ws) => service.handleConnection(ws, req))
    },
    async close() {
      // Flushes documents still waiting for their coalesced write, then closes their sockets.
      await service.close()
      wss.close()
    },
  }
}

/** Only the limits the owner set: the service's defaults apply to the rest. */
function withoutUndefined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
}
