import type * as A from '@automerge/automerge'
import type { DocStorage } from '../storage/types.js'
import type { ServerMessage } from './protocol.js'

/** What a document needs of a connected peer. */
export interface PeerLink {
  readonly peerId: string
  send(message: ServerMessage): void
  /** Sends an `error` message without closing the connection. */
  sendError(message: string): void
}

/** `Document` is the SyncedDocument itself, handed back by `onIdle` (a type parameter, so this file imports nothing of it). */
export interface DocumentOptions<Document> {
  documentId: string
  /** The loaded document, or `A.init()` for one that nobody has stored yet. */
  doc: A.Doc<unknown>
  serverPeerId: string
  storage: DocStorage
  saveDebounceMs: number
  reportError: (error: unknown) => void
  /** Called when no peer is attached and nothing is left to save: the document may be dropped. */
  onIdle: (document: Document) => void
  /** Called after changes this server received are in storage (other instances may reload it). */
  onStored?: ((documentId: string) => void) | undefined
  /** Called with the bytes of changes a peer of this server just made (for other instances). */
  onChanged?: ((documentId: string, changes: Uint8Array) => void) | undefined
  /** The estimated loaded size (see changeSize.ts) a peer's changes may grow the document to. */
  maxDocumentBytes: number
  /** Changes one sync message to a peer carries at most, in bytes (a backlog goes as several; see boundedSync.ts). */
  maxSyncMessageBytes: number
  /** The estimated size of `doc` as loaded. */
  size: number
}

export type SyncOutcome = 'ok' | 'unavailable' | 'error'
