import * as A from '@automerge/automerge'

/**
 * Read-only peers. A sync message changes a document only if it carries changes and names
 * heads the document lacks (a peer's heads cover everything it has): only such a message
 * needs write access. Its changes cannot be cut out one by one (they may come as one
 * compressed chunk), so a refused message is replaced by one without changes — and with
 * the document's own heads in place of those it lacks, or the server would keep asking for
 * changes the peer already sent and loop. The peer then still receives every change.
 */

/** True when `data` would add changes to a document with these heads; unreadable data is not (receiving it reports the error). */
export function wouldChange(hasHeads: (heads: A.Heads) => boolean, data: Uint8Array): boolean {
  let message: ReturnType<typeof A.decodeSyncMessage>
  try {
    message = A.decodeSyncMessage(data)
  } catch {
    return false
  }
  return message.changes.length > 0 && !hasHeads(message.heads)
}

/** The same sync message without its changes, as if the peer were at `heads` (the document's). */
export function withoutChanges(data: Uint8Array, heads: A.Heads): Uint8Array {
  const message = A.decodeSyncMessage(data)
  return A.encodeSyncMessage({ ...message, heads, changes: [] })
}
