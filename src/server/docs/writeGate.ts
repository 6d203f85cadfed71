import type { IncomingMessage } from 'node:http'
import * as A from '@automerge/automerge'
import type { PeerConnection } from './peerConnection.js'
import type { DocumentMessage, SyncMessage } from './protocol.js'
import { describe, ProtocolError } from './protocol.js'
import type { SyncedDocument, SyncOutcome } from './syncedDocument.js'
import { CLOSE_POLICY } from '../../wire/closeCodes.js'

/**
 * Read-only peers. A sync message changes a document only if it carries changes and names
 * heads the document lacks (a peer's heads cover everything it has): only such a message
 * needs write access. Its changes cannot be cut out one by one (they may come as one
 * compressed chunk), so a refused message is replaced by one without changes — and with
 * the document's own heads in place of those it lacks. Once a peer is refused, every
 * message of its that names heads the document lacks is rewritten that way, with or
 * without changes: otherwise, once messages cross in flight, the server keeps asking for the
 * refused changes and the two sides never fall quiet (test/server/docAccess.test.ts, "a
 * reader whose messages cross the server's"). The peer still receives every change: what
 * it lacks it names in `need`, which is kept.
 */

/** What a sync message would do to a document; null when it cannot be read (receiving it reports the error). */
export function inspect(hasHeads: (heads: A.Heads) => boolean, data: Uint8Array): { changes: boolean; unknownHeads: boolean } | null {
  let message: ReturnType<typeof A.decodeSyncMessage>
  try {
    message = A.decodeSyncMessage(data)
  } catch {
    return null
  }
  return { changes: message.changes.length > 0, unknownHeads: !hasHeads(message.heads) }
}

/** The same sync message without its changes, as if the peer were at `heads` (the document's). */
export function withoutChanges(data: Uint8Array, heads: A.Heads): Uint8Array {
  const message = A.decodeSyncMessage(data)
  return A.encodeSyncMessage({ ...message, heads, changes: [] })
}

/** A connection's open document; `write` is asked of `authorize` once, when a message of the peer would change it. */
export interface OpenDocument {
  status: 'open'
  document: SyncedDocument
  write: 'unknown' | 'granted' | 'denied'
  /** The peer's messages for this document held while its write access is being decided. */
  pending?: DocumentMessage[] | undefined
}

export interface DispatchOptions {
  authorize: ((input: { peerId: string; documentId: string; request: IncomingMessage; access: 'write' }) => boolean | Promise<boolean>) | undefined
  reportError: (error: unknown) => void
  /** After each `sync`/`request` has been handled; 'denied' when its changes were refused. */
  handled: (peer: PeerConnection, message: SyncMessage, status: SyncOutcome | 'denied', durationMs: number) => void
  /** Whether `entry` is still the peer's view of the document once write access is known. */
  stillOpen: (peer: PeerConnection, entry: OpenDocument, documentId: string) => boolean
  /** Messages held per connection and document while `authorize` decides; a flood beyond closes the connection. */
  maxPending: number
}

/** Hands a peer's messages to an open document, in order, keeping a read-only peer's changes out. */
export function createDispatch(options: DispatchOptions): (peer: PeerConnection, entry: OpenDocument, message: DocumentMessage) => void {
  const { authorize, reportError, handled } = options

  /**
   * Also runs after a load or a write check, outside any socket listener: so it must not
   * throw (there, a throw would be an unhandled rejection and end the process).
   */
  const dispatch = (peer: PeerConnection, entry: OpenDocument, message: DocumentMessage): void => {
    try {
      dispatchUnguarded(peer, entry, message)
    } catch (error) {
      reportError(new Error(`Handling a "${message.type}" message for document ${message.documentId} failed: ${describe(error)}`, { cause: error }))
      peer.sendError(`The server could not handle this "${message.type}" message for document ${message.documentId}`)
    }
  }

  const dispatchUnguarded = (peer: PeerConnection, entry: OpenDocument, message: DocumentMessage): void => {
    const { document } = entry
    if (message.type === 'ephemeral') return document.relayEphemeral(peer, message)
    if (entry.pending) {
      if (entry.pending.length < options.maxPending) return void entry.pending.push(message)
      peer.sendError(`Too many messages for document ${document.documentId} while its write access is checked`)
      reportError(new ProtocolError(`Peer ${peer.peerId} flooded document ${document.documentId} during a write check`, peer.peerId))
      return peer.close(CLOSE_POLICY, 'too many messages while write access is checked')
    }
    const started = performance.now()
    const seen = !authorize || entry.write === 'granted' ? null : inspect((heads) => document.hasHeads(heads), message.data)
    if (!seen?.unknownHeads || (entry.write === 'unknown' && !seen.changes)) {
      const status = document.receiveSync(peer, message)
      return handled(peer, message, status, performance.now() - started)
    }
    if (entry.write === 'unknown') return void checkWrite(peer, entry, message)
    const status = document.receiveSync(peer, { ...message, data: withoutChanges(message.data, document.heads) })
    if (!seen.changes) return handled(peer, message, status, performance.now() - started)
    peer.sendError(`You may not change document ${document.documentId}: your changes were not applied`)
    handled(peer, message, 'denied', performance.now() - started)
  }

  /** Asks for write access, holding the peer's later messages for this document until the answer. */
  const checkWrite = async (peer: PeerConnection, entry: OpenDocument, message: SyncMessage): Promise<void> => {
    entry.pending = [message]
    let threw = false
    try {
      entry.write = (await authorize!({ peerId: peer.peerId, documentId: message.documentId, request: peer.request, access: 'write' })) ? 'granted' : 'denied'
    } catch (error) {
      reportError(new Error(`authorize threw for writing document ${message.documentId}: ${describe(error)}`, { cause: error }))
      threw = true
      entry.write = 'denied'
    }
    const held = entry.pending
    entry.pending = undefined
    if (!options.stillOpen(peer, entry, message.documentId)) return
    for (const next of held) dispatch(peer, entry, next)
    // Not remembered as a refusal: the next change asks again.
    if (threw) entry.write = 'unknown'
  }

  return dispatch
}
