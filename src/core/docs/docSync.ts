import type { Automerge, Doc, SyncState } from './automerge.js'
import { sameHeads } from './docPersister.js'

/**
 * Where one document stands with the server in one session: the Automerge `SyncState`,
 * whether we asked for the document (`request`), and whether the first round is done.
 * Values, never mutated: every function returns the next one, so each step can be tested
 * with two Automerge documents and no socket.
 */
export interface DocSync {
  /** The server session this belongs to; 0 before the first one (a kept state only). */
  readonly session: number
  readonly state: SyncState
  readonly requested: boolean
  /** The first sync round of `session` is done (DESIGN §5). */
  readonly roundDone: boolean
}

export interface OutgoingSync {
  /** `request` while the document is empty here: a `sync` would tell the server it exists, empty. */
  readonly type: 'sync' | 'request'
  readonly data: Uint8Array
}

/** Before any session: from nothing, or from what a closed store of the document shared. */
export function initialSync(A: Automerge, kept?: SyncState): DocSync {
  return { session: 0, state: kept ?? A.initSyncState(), requested: false, roundDone: false }
}

/** The same state for the same session; for a new one, what we know we share, nothing in flight. */
export function syncForSession(A: Automerge, sync: DocSync, session: number): DocSync {
  if (sync.session === session) return sync
  // Encoding keeps the shared heads and forgets what was sent on the old socket.
  return { session, state: A.decodeSyncState(A.encodeSyncState(sync.state)), requested: false, roundDone: false }
}

/** The message to send now, if any. */
export function nextSyncMessage<T>(A: Automerge, doc: Doc<T>, sync: DocSync): [DocSync, OutgoingSync | null] {
  const empty = A.getHeads(doc).length === 0
  if (empty && !sync.requested) {
    const [, data] = A.generateSyncMessage(A.init(), A.initSyncState())
    return [{ ...sync, requested: true }, data ? { type: 'request', data } : null]
  }
  // An empty document only asks, and asks again only once the server has shown it has heads.
  if (empty && (sync.state.theirHeads ?? []).length === 0) return [sync, null]
  const [state, data] = A.generateSyncMessage(doc, sync.state)
  return [{ ...sync, state }, data ? { type: empty ? 'request' : 'sync', data } : null]
}

/** Applies a server message. @throws what Automerge throws for a message it cannot apply (doc and state untouched). */
export function receiveSyncMessage<T>(A: Automerge, doc: Doc<T>, sync: DocSync, data: Uint8Array): [Doc<T>, DocSync] {
  const [next, state] = A.receiveSyncMessage(doc, sync.state, data)
  return [next, { ...sync, state }]
}

/** The first round ends when, as far as the server's last word goes, it has all we have and we have all it has. */
export function finishesRound<T>(A: Automerge, doc: Doc<T>, sync: DocSync): boolean {
  const theirHeads = sync.state.theirHeads ?? null
  return !sync.roundDone && theirHeads !== null && A.hasHeads(doc, theirHeads) && hasOurChanges(A, doc, sync.state)
}

/** The server has every change in `doc`, as far as `sync` knows. */
export function serverHasOurs<T>(A: Automerge, doc: Doc<T>, sync: DocSync | null): boolean {
  return hasOurChanges(A, doc, sync?.state ?? A.initSyncState())
}

/**
 * What `A.hasOurChanges` answers — the heads we share with the peer are our heads — read
 * from the sync state as it already is in JS. `A.hasOurChanges` first copies the whole sync
 * state into wasm: 20 µs hot, about 40 µs in the relay, on every server message a client
 * applies, right before its snapshot listeners run (bench case 1, hop 5).
 */
export function hasOurChanges<T>(A: Automerge, doc: Doc<T>, state: SyncState): boolean {
  return sameHeads(state.sharedHeads, A.getHeads(doc))
}
