import * as A from '@automerge/automerge'
import type { DocumentOptions, PeerLink, SyncOutcome } from './documentTypes.js'
import type { EphemeralMessage, SyncMessage } from './protocol.js'
import { measureChanges, OP_COST_BYTES, TooLargeError } from './changeSize.js'
import { describe, ProtocolError } from './protocol.js'
import type { PreparedWrite } from './saveLoop.js'
import { SaveLoop } from './saveLoop.js'
import { PendingAcknowledgements } from './pendingAcknowledgements.js'
import { splitSyncMessage } from './boundedSync.js'
import type { PeekedMessage } from './syncPeek.js'
import { peek, sameHeads } from './syncPeek.js'
import { relayEarly, settleEarly } from './earlyRelay.js'
import { surelyQuiet } from './quietSync.js'

export type { PeerLink, SyncOutcome } from './documentTypes.js'
export type SyncedDocumentOptions = DocumentOptions<SyncedDocument>

interface PeerState {
  syncState: A.SyncState
  /** True once the peer has sent `sync`/`request`: it then receives every change. */
  subscribed: boolean
}

/** generateSyncMessage settles in one or two rounds; the cap only guards against a loop. */
const MAX_MESSAGES_PER_TURN = 16

/**
 * One document in server memory: its Automerge state, one sync state per attached peer,
 * and its saves. Relay is synchronous — a change is sent on to every subscribed peer in the
 * same turn that received it, before applying it when it can (earlyRelay.ts) — and storage
 * never sits in that path. Changes that arrive while a save runs are written together by the
 * next one.
 *
 * "Saved on the server" must mean stored. A client reads it from the heads in the server's
 * sync messages (`hasOurChanges`), and every message `generateSyncMessage` makes carries the
 * server's current heads, which include a change as soon as it arrives. So a peer whose
 * change is not stored yet (it is in `#awaitingSave`) gets no generated message at all until
 * the write that holds its change has finished. Other peers' changes still reach it at once,
 * in a message built here (`#relayWithoutAcknowledging`) that carries those changes but
 * advertises only the heads storage is known to hold. Its sync state is left alone
 * meanwhile, so after the write, the usual sync message (or, when Automerge thinks there is
 * nothing to say, a message with just the heads) tells it what the server has.
 */
export class SyncedDocument {
  readonly documentId: string
  #doc: A.Doc<unknown>
  #heads: A.Heads
  readonly #peers = new Map<PeerLink, PeerState>()
  readonly #options: SyncedDocumentOptions
  readonly #saves: SaveLoop
  /** Peers whose changes are not stored yet, and the heads storage is known to hold. */
  readonly #awaitingSave: PendingAcknowledgements<PeerLink>
  /** Estimated loaded size: what was loaded plus every change applied since (an upper bound). */
  #size: number

  constructor(options: SyncedDocumentOptions) {
    this.documentId = options.documentId
    this.#doc = options.doc
    this.#heads = A.getHeads(options.doc)
    this.#awaitingSave = new PendingAcknowledgements(this.#heads)
    this.#options = options
    this.#size = options.size
    this.#saves = new SaveLoop({ debounceMs: options.saveDebounceMs, prepare: () => this.#prepareWrite(), onSettled: () => this.#checkIdle() })
  }

  get peerCount(): number {
    return this.#peers.size
  }

  get isIdle(): boolean {
    return this.#peers.size === 0 && this.#saves.idle && this.#awaitingSave.size === 0
  }

  get heads(): A.Heads {
    return this.#heads
  }

  /** Whether the document has all these heads (and so every change before them). */
  hasHeads(heads: A.Heads): boolean {
    return A.hasHeads(this.#doc, heads)
  }

  attach(peer: PeerLink): void {
    if (!this.#peers.has(peer)) this.#peers.set(peer, { syncState: A.initSyncState(), subscribed: false })
  }

  /** Drops the peer's sync state: a reconnecting peer starts a fresh sync. */
  detach(peer: PeerLink): void {
    this.#awaitingSave.delete(peer)
    if (this.#peers.delete(peer)) this.#checkIdle()
  }

  receiveSync(peer: PeerLink, message: SyncMessage): SyncOutcome {
    const state = this.#peers.get(peer)
    if (!state) return 'error'
    // Decoded once here; Automerge decodes it again to apply it.
    const peeked = peek(message.data)
    // Measured before applying: once applied, a change cannot be taken back out of the document.
    const incoming = this.#measure(peer, peeked?.changes ?? [])
    if (incoming === undefined) return 'error'
    // A peer that asks for changes may have dropped ones we sent (it closed the document and
    // opened it again on the same socket, with a fresh sync state). Ours would still count them
    // as sent and never send them again: forget what is in flight, keep what we share.
    if (state.subscribed && peeked !== null && peeked.need.length > 0) state.syncState = A.decodeSyncState(A.encodeSyncState(state.syncState))
    // Readers get the changes before they are applied here, when the heads after are known.
    const early = relayEarly(this.#heads, peeked, this.#readers(peer), (reader, data) => this.#sendSync(reader, data))
    let doc: A.Doc<unknown>
    let syncState: A.SyncState
    try {
      // On a throw Automerge leaves both the document and the sync state as they were.
      ;[doc, syncState] = A.receiveSyncMessage(this.#doc, state.syncState, message.data)
    } catch (error) {
      const text = `Invalid sync data for document ${this.documentId}: ${describe(error)}`
      peer.sendError(text)
      this.#options.reportError(new Error(text, { cause: error }))
      return 'error'
    }
    const previousHeads = this.#heads
    this.#doc = doc
    state.syncState = syncState
    state.subscribed = true
    const heads = A.getHeads(doc)
    const changed = !sameHeads(heads, previousHeads)
    this.#heads = heads
    if (changed) this.#size += incoming
    if (early) settleEarly(early, { doc, heads, since: previousHeads }, (reader) => this.#peers.get(reader), (reader, readerState) => this.#syncTo(reader, readerState) || this.#announceHeads(reader))

    let outcome: SyncOutcome = 'ok'
    if (heads.length === 0 && message.type === 'request') {
      // The peer stays subscribed: if another peer brings the document, it is sent on.
      peer.send({ type: 'doc-unavailable', senderId: this.#options.serverPeerId, targetId: peer.peerId, documentId: this.documentId })
      outcome = 'unavailable'
    }
    if (changed) {
      this.#relay(previousHeads, peer, early?.peers)
      // Other instances hear of it after this instance's own peers have it (their relay waits for nothing here).
      if (this.#options.onChanged) this.#options.onChanged(this.documentId, A.saveSince(doc, previousHeads))
      // The acknowledgement waits for the disk; everyone else already has the change.
      this.#awaitingSave.changed(peer)
      this.#saves.schedule(0)
    } else if (!this.#awaitingSave.has(peer) && !this.#syncTo(peer, state) && peeked !== null && this.#forgotOurHeads(peeked)) {
      // Automerge has nothing to say, yet the peer's `have` shows it does not know we hold its
      // heads (its sync state was reset: a document opened again, say), so its saved.server
      // would stay false until its next edit.
      this.#announceHeads(peer)
    }
    return outcome
  }

  /** Merges what storage holds (written by another instance) and syncs it to this instance's peers; idempotent. */
  mergeStored(binary: Uint8Array): void {
    this.applyRemote(binary)
  }

  /** Applies changes (or a whole saved document) that reached another instance; idempotent. */
  applyRemote(binary: Uint8Array): void {
    const opsBefore = A.stats(this.#doc).numOps
    let doc: A.Doc<unknown>
    try {
      doc = A.loadIncremental(this.#doc, binary)
    } catch (error) {
      this.#options.reportError(new Error(`Merging stored document ${this.documentId} failed: ${describe(error)}`, { cause: error }))
      return
    }
    // loadIncremental moves the document on even when nothing was new: the old object is spent.
    this.#doc = doc
    const previousHeads = this.#heads
    const heads = A.getHeads(doc)
    if (sameHeads(heads, previousHeads)) return
    this.#heads = heads
    // Another instance measured these changes against the limit; only their operations are counted here.
    this.#size += OP_COST_BYTES * Math.max(0, A.stats(doc).numOps - opsBefore)
    this.#relay(previousHeads)
  }

  /** Sends an ephemeral message's checked fields on, with each peer's `targetId`, to the other subscribed peers. */
  relayEphemeral(from: PeerLink, message: EphemeralMessage): void {
    const { senderId, documentId, sessionId, count, data } = message
    for (const [peer, state] of this.#peers) {
      if (peer !== from && state.subscribed) peer.send({ type: 'ephemeral', senderId, targetId: peer.peerId, documentId, sessionId, count, data })
    }
  }

  /** Writes pending changes now; resolves once storage has them (or has failed, reported). */
  flush(): Promise<void> {
    return this.#saves.flush()
  }

  /** A last flush; afterwards a failed write is reported but not retried. */
  close(): Promise<void> {
    return this.#saves.close()
  }

  /** The estimated size the message's changes add, or undefined (the peer was told) when they are refused. */
  #measure(peer: PeerLink, changes: readonly Uint8Array[]): number | undefined {
    const { maxDocumentBytes } = this.#options
    try {
      return measureChanges(changes, maxDocumentBytes - this.#size)
    } catch (error) {
      const text =
        error instanceof TooLargeError
          ? `Refused a change to document ${this.documentId}: it would grow the document past the server's limit of ${maxDocumentBytes} bytes (estimated once loaded)`
          : `Refused a change to document ${this.documentId}: its Automerge data could not be measured (${describe(error)})`
      peer.sendError(text)
      this.#options.reportError(new ProtocolError(text, peer.peerId))
      return undefined
    }
  }

  /** Sends the changes since `since` to every subscribed peer but `author` (and those in `done`). */
  #relay(since: A.Heads, author?: PeerLink, done?: ReadonlySet<PeerLink>): void {
    let changes: Uint8Array[] | undefined
    for (const [peer, state] of this.#peers) {
      if (peer === author || !state.subscribed || done?.has(peer)) continue
      if (!this.#awaitingSave.has(peer)) {
        this.#syncTo(peer, state)
        continue
      }
      changes ??= A.getChangesSince(this.#doc, since)
      this.#relayWithoutAcknowledging(peer, changes)
    }
  }

  /** Subscribed peers but `author` that may hear the server's heads now (not waiting for a write of theirs). */
  *#readers(author: PeerLink): Generator<PeerLink> {
    for (const [peer, state] of this.#peers) if (peer !== author && state.subscribed && !this.#awaitingSave.has(peer)) yield peer
  }

  /**
   * Gives a peer that waits for a write the changes others just made, advertising only the
   * stored heads: its `saved.server` stays false, and it applies the changes as usual. The
   * message says nothing of what we have (`have`) or need, so the peer's answer asks for
   * nothing it does not need.
   */
  #relayWithoutAcknowledging(peer: PeerLink, changes: Uint8Array[]): void {
    const data = A.encodeSyncMessage({ heads: this.#awaitingSave.storedHeads, need: [], have: [], changes })
    this.#sendSync(peer, data)
  }

  /** Sends what the peer's sync state calls for; false when that was nothing. */
  #syncTo(peer: PeerLink, state: PeerState): boolean {
    let sent = false
    for (let i = 0; i < MAX_MESSAGES_PER_TURN; i++) {
      // Most calls here would say nothing; those are known without the wasm round trip.
      if (surelyQuiet(state.syncState, this.#heads)) break
      const [syncState, data] = A.generateSyncMessage(this.#doc, state.syncState)
      state.syncState = syncState
      if (!data) break
      const missing = (): Uint8Array[] => A.getChangesSince(this.#doc, state.syncState.sharedHeads)
      for (const part of splitSyncMessage(data, this.#options.maxSyncMessageBytes, missing)) this.#sendSync(peer, part)
      sent = true
    }
    return sent
  }

  /** A sync message with only our heads: how a peer learns we hold all it has (its saved.server). */
  #announceHeads(peer: PeerLink): void {
    this.#sendSync(peer, A.encodeSyncMessage({ heads: this.#heads, need: [], have: [], changes: [] }))
  }

  /**
   * Whether a peer's message says it does not know we hold its heads: its `have` names what it
   * last shared with us, and its heads are not all in it. Only when we do hold them.
   */
  #forgotOurHeads({ heads, lastSync }: PeekedMessage): boolean {
    // The plain comparison first: it settles most messages without a call into wasm.
    return heads.length > 0 && !heads.every((head) => lastSync.includes(head)) && A.hasHeads(this.#doc, heads)
  }

  #sendSync(peer: PeerLink, data: Uint8Array): void {
    peer.send({ type: 'sync', senderId: this.#options.serverPeerId, targetId: peer.peerId, documentId: this.documentId, data })
  }

  /** What the next write holds: the document as it is now, and the changes received so far. */
  #prepareWrite(): PreparedWrite {
    const { storage, documentId, reportError } = this.#options
    const binary = A.save(this.#doc)
    // Everything received so far is in `binary`: these are what this write acknowledges.
    const covers = this.#awaitingSave.covered
    const heads = this.#heads
    return {
      write: () => storage.saveDoc(documentId, binary),
      stored: () => {
        this.#awaitingSave.storedHeads = heads
        this.#acknowledgeSaved(covers)
        this.#options.onStored?.(documentId)
      },
      failed: (error) => reportError(new Error(`Saving document ${documentId} failed: ${describe(error)}`, { cause: error })),
    }
  }

  /**
   * Replies to every peer whose latest change is in the write that just finished (numbered
   * up to `covers`); a peer with a later change waits for the write that holds it.
   */
  #acknowledgeSaved(covers: number): void {
    for (const peer of this.#awaitingSave.takeCovered(covers)) {
      const state = this.#peers.get(peer)
      if (!state || this.#syncTo(peer, state)) continue
      // Automerge has nothing to say: the peer's own messages told it we are in sync, but
      // what it was last told of our heads are the stored ones it got while waiting.
      this.#announceHeads(peer)
    }
  }

  #checkIdle(): void {
    if (this.isIdle) this.#options.onIdle(this)
  }
}

