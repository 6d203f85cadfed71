import type { IncomingMessage } from 'node:http'
import type { PeerConnection } from './peerConnection.js'
import type { DocumentMessage } from './protocol.js'
import type { OpenDocument } from './writeGate.js'

/** A connection's view of one document. */
export type PeerDocument =
  | { status: 'opening'; queue: DocumentMessage[] }
  | OpenDocument
  | { status: 'denied' }

/**
 * Why a join must be refused: its peer id is in use by an open connection that `mayReplace`
 * says it may not take over (another user's). Without `mayReplace`, the newest connection of
 * a peer id wins, as on the stock server.
 */
export function joinRefusal(
  connections: Iterable<PeerConnection>,
  peer: PeerConnection,
  senderId: string,
  mayReplace: ((input: { older: IncomingMessage; newer: IncomingMessage }) => boolean) | undefined,
): string | undefined {
  if (!mayReplace) return undefined
  for (const other of connections) {
    if (other === peer || !other.active || other.peerId !== senderId) continue
    if (!mayReplace({ older: other.request, newer: peer.request })) return `Peer id ${senderId} is in use by another user's connection: taking it over is not allowed`
  }
  return undefined
}

/**
 * Ends the subscriptions of the connections `request` picks (to `documentId`, or to every
 * document): each gets `doc-unavailable` and no further changes. They are forgotten, not
 * remembered as refused, so the next message for the document asks `authorize` again.
 */
export function revokeSubscriptions(
  peers: Map<PeerConnection, Map<string, PeerDocument>>,
  filter: { request: (request: IncomingMessage) => boolean; documentId?: string },
  serverPeerId: string,
): number {
  let count = 0
  for (const [peer, documents] of peers) {
    if (!filter.request(peer.request)) continue
    for (const [id, entry] of documents) {
      if (filter.documentId !== undefined && id !== filter.documentId) continue
      documents.delete(id)
      if (entry.status === 'open') entry.document.detach(peer)
      if (entry.status === 'denied') continue
      peer.send({ type: 'doc-unavailable', senderId: serverPeerId, targetId: peer.peerId, documentId: id })
      count++
    }
  }
  return count
}
