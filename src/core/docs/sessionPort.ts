import type { SyncError } from '../errors.js'
import type { Heads } from './automerge.js'
import type { DocSocket } from './docSocket.js'

/** The current server session, as a store sees it. */
export interface DocSessionPort {
  /** A new id per `peer` from the server. */
  readonly id: number
  /** An ephemeral `value` (checked: `checkEphemeral`) is encoded here, and numbered by the connection. */
  send(message: { type: 'sync' | 'request'; documentId: string; data: Uint8Array } | { type: 'ephemeral'; documentId: string; value: unknown }): boolean
}

export type DocEvent =
  /** The store finished its first sync round of the current session. */
  | { type: 'round-done' }
  /** A problem with server input: `onIgnoredError` plus `error` on the connection. */
  | { type: 'problem'; error: SyncError }
  /** A `close()`: one `open()` fewer. The connection's registry shuts the store down at the last. */
  | { type: 'release'; store: ClosedStore }

/** What a document's synchronizer needs of its connection (the store's `DocLink` is one). */
export interface SyncLink {
  /** The current session, or null while not connected. */
  session(): DocSessionPort | null
  report(event: DocEvent): void
}

/**
 * The sync state of a closed document, encoded (shared heads only), and its heads then. The
 * server keeps its own sync state for us until the socket closes, so a document opened again
 * must not start from nothing: the server, believing us in sync, would not answer, and
 * `saved.server` would never turn true.
 */
export interface KeptSyncState {
  readonly state: Uint8Array
  readonly heads: Heads
}

/** What the connection does with a store that closes. */
export interface ClosedStore {
  readonly documentId: string
  shutdown(): void
  /** Null until the document code has loaded. */
  readonly sync: { keep(): KeptSyncState | null } | null
  flushCache(): Promise<void>
}

/**
 * Sync messages carry their routing; ephemeral ones also the connection's session id and a
 * count from `nextCount`, and their value as CBOR (`encode` comes with the socket code).
 */
export function sessionPort(
  id: number,
  socket: DocSocket,
  route: { senderId: string; targetId: string },
  ephemeral: { sessionId: string; nextCount: () => number; encode: (value: unknown) => Uint8Array },
): DocSessionPort {
  return {
    id,
    send: (message) => {
      const { type, documentId } = message
      if (type !== 'ephemeral') return socket.send({ type, documentId, data: message.data, ...route })
      return socket.send({ type, documentId, data: ephemeral.encode(message.value), ...route, sessionId: ephemeral.sessionId, count: ephemeral.nextCount() })
    },
  }
}
