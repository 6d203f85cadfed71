import * as A from '@automerge/automerge'
import { markSent } from '../../wire/syncStateMarks.js'
import type { PeekedMessage } from './syncPeek.js'
import { sameHeads } from './syncPeek.js'

/**
 * Relaying a peer's changes before the server applies them. Applying (receiveSyncMessage:
 * the changes, the document's patches, the sync state copied into wasm and back) and then
 * generating each reader's message is most of the server's part of a relay; the readers need
 * neither, only the change bytes and the heads the server is about to have. So a reader gets
 * the author's changes as they came, in a message built here, and the server applies them
 * afterwards, then records in the reader's sync state what `generateSyncMessage` would have
 * recorded for that message (`markSent`), so it does not send them again.
 *
 * The server knows its heads after applying only when the author had everything the server
 * has: the author's message says what it last shared with the server (`have[0].lastSync`),
 * and when that is the server's heads, applying the author's changes leaves the server at the
 * author's heads (`predictedHeads`). Otherwise the relay waits for the apply as before. If the
 * prediction still fails (the changes lack a dependency, so Automerge holds them back), the
 * server sends the reader its usual generated message right after, which corrects the heads.
 */

/** Readers that got a peer's changes before the server applied them, and the heads they were told. */
export interface EarlyRelay<Peer> {
  heads: A.Heads
  peers: Set<Peer>
}

/** Sends the message's changes, unapplied, to `readers`; null (nothing sent) when the heads after applying are not known. */
export function relayEarly<Peer>(serverHeads: A.Heads, message: PeekedMessage | null, readers: Iterable<Peer>, send: (peer: Peer, data: Uint8Array) => void): EarlyRelay<Peer> | null {
  const heads = predictedHeads(serverHeads, message)
  if (heads === null) return null
  const peers = new Set<Peer>()
  let data: Uint8Array | undefined
  for (const peer of readers) {
    data ??= changesMessage(heads, message!.changes)
    send(peer, data)
    peers.add(peer)
  }
  return peers.size === 0 ? null : { heads, peers }
}

/**
 * Once the message is applied (the document is now `doc` at `heads`, it was at `since`):
 * records in each early reader's sync state what it was sent, or, when the heads came out
 * otherwise than predicted, has `resync` tell it what the server has.
 */
export function settleEarly<Peer, State extends { syncState: A.SyncState }>(
  { heads: told, peers }: EarlyRelay<Peer>,
  applied: { doc: A.Doc<unknown>; heads: A.Heads; since: A.Heads },
  stateOf: (peer: Peer) => State | undefined,
  resync: (peer: Peer, state: State) => void,
): void {
  const predicted = sameHeads(applied.heads, told)
  const hashes = predicted ? appliedSince(applied.doc, applied.since) : []
  for (const peer of peers) {
    const state = stateOf(peer)
    if (!state) continue
    if (predicted) state.syncState = markSent(state.syncState, told, hashes)
    else resync(peer, state)
  }
}

/** The heads the server will have once it has applied `message`, or null when that is not known before applying. */
export function predictedHeads(serverHeads: A.Heads, message: PeekedMessage | null): A.Heads | null {
  if (message === null || message.changes.length === 0) return null
  if (!sameHeadSet(serverHeads, message.lastSync) || sameHeadSet(serverHeads, message.heads)) return null
  return message.heads
}

/** A sync message carrying `changes` and advertising `heads`, in the format and with the capabilities of the messages Automerge generates. */
export function changesMessage(heads: A.Heads, changes: Uint8Array[]): Uint8Array {
  const message: A.DecodedSyncMessage = { heads, need: [], have: [], changes }
  return A.encodeSyncMessage({ ...generatedFormat(), ...message })
}

/**
 * The hashes of the changes applied since `heads`. A sync message's "changes" may be one
 * chunk holding many (a compressed backlog), so they are read from the document, not the message.
 */
export function appliedSince(doc: A.Doc<unknown>, heads: A.Heads): string[] {
  // getChangesMetaSince reads no operations; Automerge releases without it get the changes decoded.
  if (typeof A.getChangesMetaSince === 'function') return A.getChangesMetaSince(doc, heads).map((change) => change.hash)
  return A.getChangesSince(doc, heads).map((change) => A.decodeChange(change).hash)
}

/** Heads are sets; Automerge sorts them, but a peer's message need not. */
function sameHeadSet(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false
  if (sameHeads(a, b)) return true
  const set = new Set(a)
  return b.every((head) => set.has(head))
}

/** Fields of a decoded sync message that Automerge's types leave out. */
type MessageFormat = { type?: unknown; supportedCapabilities?: unknown }
let format: MessageFormat | null = null

/**
 * What `encodeSyncMessage` needs to write the message version and capabilities Automerge
 * puts in its own messages: without them it writes a v1 message, and a reader then forgets
 * the server's capabilities (sync reset) until the next generated one.
 */
function generatedFormat(): MessageFormat {
  if (format === null) {
    const [, sample] = A.generateSyncMessage(A.init(), A.initSyncState())
    const decoded = sample === null ? null : (A.decodeSyncMessage(sample) as MessageFormat)
    format = {
      ...(decoded?.type !== undefined && { type: decoded.type }),
      ...(decoded?.supportedCapabilities !== undefined && { supportedCapabilities: decoded.supportedCapabilities }),
    }
  }
  return format
}
