import type { IncomingMessage } from 'node:http'
import type { DocumentRegistry } from './documentRegistry.js'
import type { PeerConnection } from './peerConnection.js'
import type { PeerDocument } from './peerAccess.js'
import { revokeSubscriptions } from './peerAccess.js'
import type { DocumentMessage, SyncMessage } from './protocol.js'
import { describe, ProtocolError } from './protocol.js'
import type { SyncedDocument, SyncOutcome } from './syncedDocument.js'
import type { OpenDocument } from './writeGate.js'
import { createDispatch } from './writeGate.js'
import { CLOSE_POLICY } from '../../wire/closeCodes.js'

/** Messages held per connection and document while the document loads; a flood beyond is refused. */
const MAX_QUEUED_MESSAGES = 1024

export type Authorize = (input: { peerId: string; documentId: string; request: IncomingMessage; access: 'read' | 'write' }) => boolean | Promise<boolean>

export interface ConnectionDocumentsOptions {
  registry: DocumentRegistry
  serverPeerId: string
  /** Documents one connection may use; opening one more gets an `error` and a close (1008). */
  maxDocuments: number
  authorize: Authorize | undefined
  reportError: (error: unknown) => void
  /** After each `sync`/`request` has been handled, or refused ('denied'). */
  handled: (event: { peerId: string; documentId: string; type: SyncMessage['type']; status: SyncOutcome | 'denied'; durationMs: number }) => void
  /** The service is shutting down: nothing more is opened or handled. */
  isClosed: () => boolean
}

/**
 * What each connection may do with each document it uses: opening (authorized for `read`
 * and loaded, its messages queued meanwhile), open (its messages go to the document through
 * the write gate) or denied (it gets `doc-unavailable`). Forgotten on revoke and on close.
 */
export class ConnectionDocuments {
  readonly #o: ConnectionDocumentsOptions
  readonly #peers = new Map<PeerConnection, Map<string, PeerDocument>>()
  readonly #dispatch: ReturnType<typeof createDispatch>

  constructor(options: ConnectionDocumentsOptions) {
    this.#o = options
    this.#dispatch = createDispatch({
      authorize: options.authorize,
      reportError: options.reportError,
      handled: (peer, message, status, durationMs) => options.handled({ ...syncEvent(peer, message), status, durationMs }),
      stillOpen: (peer, entry, documentId) => !options.isClosed() && !peer.closed && this.#peers.get(peer)?.get(documentId) === entry,
      maxPending: MAX_QUEUED_MESSAGES,
    })
  }

  /** Every open socket, joined or not. */
  get connections(): IterableIterator<PeerConnection> {
    return this.#peers.keys()
  }

  get size(): number {
    return this.#peers.size
  }

  has(peer: PeerConnection): boolean {
    return this.#peers.has(peer)
  }

  add(peer: PeerConnection): void {
    this.#peers.set(peer, new Map())
  }

  /** Forgets a closed connection and what it had open. */
  remove(peer: PeerConnection): void {
    this.detachAll(peer)
    this.#peers.delete(peer)
  }

  /** Forgets everything a connection had open: its sync states and subscriptions. */
  detachAll(peer: PeerConnection): void {
    const documents = this.#peers.get(peer)
    if (!documents) return
    for (const entry of documents.values()) {
      if (entry.status === 'open') entry.document.detach(peer)
    }
    documents.clear()
  }

  revoke(filter: { request: (request: IncomingMessage) => boolean; documentId?: string }): number {
    return revokeSubscriptions(this.#peers, filter, this.#o.serverPeerId)
  }

  /** Hands a peer's message to its document: opening it first if this is the connection's first use of it. */
  route(peer: PeerConnection, message: DocumentMessage): void {
    const documents = this.#peers.get(peer)
    if (!documents || this.#o.isClosed()) return
    const { maxDocuments, registry, authorize, reportError } = this.#o
    const { documentId } = message
    let entry = documents.get(documentId)
    if (!entry && documents.size >= maxDocuments) {
      peer.sendError(`A connection may use at most ${maxDocuments} documents`)
      reportError(new ProtocolError(`Peer ${peer.peerId} opened too many documents`, peer.peerId))
      peer.close(CLOSE_POLICY, 'too many documents on one connection')
      return
    }
    if (!entry && !authorize) {
      // Fast path: a document in memory is attached in the same turn, with no promise hop.
      const document = registry.get(documentId)
      if (document) {
        document.attach(peer)
        documents.set(documentId, (entry = { status: 'open', document, write: 'granted' }))
      }
    }
    if (!entry) {
      const opening: PeerDocument & { status: 'opening' } = { status: 'opening', queue: [message] }
      documents.set(documentId, opening)
      void this.#open(peer, documentId, opening)
      return
    }
    if (entry.status === 'open') this.#dispatch(peer, entry, message)
    else if (entry.status === 'denied') this.#answerDenied(peer, message)
    else if (entry.queue.length < MAX_QUEUED_MESSAGES) entry.queue.push(message)
    else {
      peer.sendError(`Too many messages for document ${documentId} while it loads`)
      reportError(new ProtocolError(`Peer ${peer.peerId} flooded document ${documentId} while it loaded`, peer.peerId))
      peer.close(CLOSE_POLICY, 'too many messages while a document loads')
    }
  }

  /** Authorizes, loads, attaches, then handles what arrived meanwhile, in order. */
  async #open(peer: PeerConnection, documentId: string, entry: PeerDocument & { status: 'opening' }): Promise<void> {
    const { registry, authorize, reportError, isClosed } = this.#o
    const documents = this.#peers.get(peer)
    const stillWanted = (): boolean => !isClosed() && !peer.closed && documents?.get(documentId) === entry
    let allowed: boolean
    try {
      allowed = authorize ? await authorize({ peerId: peer.peerId, documentId, request: peer.request, access: 'read' }) : true
    } catch (error) {
      reportError(new Error(`authorize threw for document ${documentId}: ${describe(error)}`, { cause: error }))
      if (!stillWanted()) return
      // Not remembered as a refusal: the next message asks again.
      documents?.delete(documentId)
      for (const message of entry.queue) this.#answerDenied(peer, message)
      return
    }
    if (!stillWanted()) return
    if (!allowed) {
      documents?.set(documentId, { status: 'denied' })
      for (const message of entry.queue) this.#answerDenied(peer, message)
      return
    }
    let document: SyncedDocument
    try {
      document = await registry.open(documentId)
    } catch (error) {
      reportError(error)
      if (!stillWanted()) return
      // Not remembered either: the next message retries the load. The stored binary is left alone.
      documents?.delete(documentId)
      if (entry.queue.some((message) => message.type !== 'ephemeral')) {
        peer.sendError(`Document ${documentId} could not be loaded on the server`)
      }
      return
    }
    if (!stillWanted()) {
      registry.release(document)
      return
    }
    document.attach(peer)
    const opened: OpenDocument = { status: 'open', document, write: 'unknown' }
    documents?.set(documentId, opened)
    for (const message of entry.queue) this.#dispatch(peer, opened, message)
  }

  #answerDenied(peer: PeerConnection, message: DocumentMessage): void {
    if (message.type === 'ephemeral') return
    peer.send({ type: 'doc-unavailable', senderId: this.#o.serverPeerId, targetId: peer.peerId, documentId: message.documentId })
    this.#o.handled({ ...syncEvent(peer, message), status: 'denied', durationMs: 0 })
  }
}

function syncEvent(peer: PeerConnection, message: SyncMessage): { peerId: string; documentId: string; type: SyncMessage['type'] } {
  return { peerId: peer.peerId, documentId: message.documentId, type: message.type }
}
