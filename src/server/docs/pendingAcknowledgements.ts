import type * as A from '@automerge/automerge'

/**
 * Which peers of a document wait for a write before they may hear the server's heads (see
 * syncedDocument.ts: "saved on the server" must mean stored). Each waiting peer is kept with
 * the number of its latest change (the change count when it arrived). A write covers every
 * change numbered up to the count when it started, so it acknowledges exactly the peers
 * whose changes it holds, however busy the others keep the document.
 */
export class PendingAcknowledgements<Peer> {
  readonly #awaiting = new Map<Peer, number>()
  #changeCount = 0
  /** Heads of what storage is known to hold: all a waiting peer may be told. */
  storedHeads: A.Heads

  constructor(storedHeads: A.Heads) {
    this.storedHeads = storedHeads
  }

  get size(): number {
    return this.#awaiting.size
  }

  has(peer: Peer): boolean {
    return this.#awaiting.has(peer)
  }

  delete(peer: Peer): void {
    this.#awaiting.delete(peer)
  }

  /** A change of `peer` has just been applied: it waits for the write that holds it. */
  changed(peer: Peer): void {
    this.#awaiting.set(peer, ++this.#changeCount)
  }

  /** What a write starting now will hold: every change numbered up to this. */
  get covered(): number {
    return this.#changeCount
  }

  /** Stops waiting for the peers whose latest change is numbered up to `covers`, and returns them; a peer with a later change waits on. */
  takeCovered(covers: number): Peer[] {
    const done: Peer[] = []
    for (const [peer, latest] of this.#awaiting) {
      if (latest > covers) continue
      this.#awaiting.delete(peer)
      done.push(peer)
    }
    return done
  }
}
