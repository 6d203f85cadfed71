import * as A from '@automerge/automerge'

/**
 * Heads equal in the same order, as Automerge's own sync code compares them (quietSync.ts
 * mirrors its checks, and must not answer "equal" where Automerge would not). The client's
 * `sameHeads` (docPersister.ts) compares them as sets, for its own bookkeeping.
 */
export function sameHeads(a: A.Heads, b: A.Heads): boolean {
  return a.length === b.length && a.every((head, i) => head === b[i])
}

export interface PeekedMessage {
  heads: A.Heads
  need: A.Heads
  /** What the peer last shared with us (its `have`), by its account. */
  lastSync: A.Heads
  /** The changes it carries, still encoded (measured against the size limit before applying). */
  changes: Uint8Array[]
}

/** The fields of a sync message a document reads before applying it, decoded once; null when it cannot be read (receiving it reports that). */
export function peek(data: Uint8Array): PeekedMessage | null {
  try {
    const { heads, need, have, changes } = A.decodeSyncMessage(data)
    return { heads, need, lastSync: have[0]?.lastSync ?? [], changes }
  } catch {
    return null
  }
}
