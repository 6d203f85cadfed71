import * as A from '@automerge/automerge'

/**
 * Default bound on the changes one sync message to a peer carries: 0, off. Measured in bench
 * case 5 (a backlog of 10,000 one-field changes), the bounded messages carried the changes
 * themselves, 1.42 MB instead of Automerge's 32 KB packed chunk, and the reader's longest
 * task was not reliably shorter on the shared 2-core machine (325 ms bounded against 49 ms in
 * one run, 50 against 75 ms in another); at 8 KiB the peer's replies made the server send
 * changes again (2.9 MB). So it is opt-in until that is understood.
 */
export const DEFAULT_MAX_SYNC_MESSAGE_BYTES = 0

/** Messages this small are sent as they are, undecoded: the relay of a few changes. */
const SMALL_MESSAGE_BYTES = 1024

/** A document chunk (chunk type 0 after the 4 magic and 4 checksum bytes), not a change. */
const isDocumentChunk = (bytes: Uint8Array): boolean => bytes.byteLength > 8 && bytes[8] === 0

/**
 * Splits a generated sync message whose changes exceed `maxBytes` into several messages of
 * at most about `maxBytes` of changes each (a single larger change travels alone), in
 * dependency order. A peer that lacks a backlog of 10,000 changes would otherwise apply them
 * in one `receiveSyncMessage` that blocks its page (bench case 5).
 *
 * Automerge packs a large backlog into one compressed document chunk, a few bytes per
 * change; that chunk cannot be cut, so the backlog is sent as the changes themselves
 * (`missing()`: the changes since what the peer and the server are known to share), which
 * costs more bytes on the wire (about 110 bytes per one-field change instead of a few) in
 * exchange for pages that stay responsive.
 *
 * The wire protocol is unchanged: each part is an ordinary automerge-repo sync message, which
 * stock clients apply as usual. All but the last claim as `heads` only the last change they
 * carry: once the peer has applied a part, it has that change, so the claim is true and its
 * reply asks for nothing (had the server's heads been claimed, the peer would `need` them,
 * and a `need` makes this server forget what is in flight and send the rest again). The last
 * part has the generated message's heads. The sync state already counts every change as sent.
 */
export function splitSyncMessage(data: Uint8Array, maxBytes: number, missing: () => Uint8Array[]): Uint8Array[] {
  if (maxBytes <= 0 || data.byteLength <= SMALL_MESSAGE_BYTES) return [data]
  const message = A.decodeSyncMessage(data)
  const packed = message.changes.some(isDocumentChunk)
  const changes = packed ? missing() : message.changes
  if (changes.length < 2 || changes.reduce((sum, change) => sum + change.byteLength, 0) <= maxBytes) return [data]
  const batches: Uint8Array[][] = []
  let batch: Uint8Array[] = []
  let batchBytes = 0
  for (const change of changes) {
    if (batch.length > 0 && batchBytes + change.byteLength > maxBytes) {
      batches.push(batch)
      batch = []
      batchBytes = 0
    }
    batch.push(change)
    batchBytes += change.byteLength
  }
  batches.push(batch)
  return batches.map((part, index) => {
    if (index === batches.length - 1) return A.encodeSyncMessage({ ...message, changes: part })
    const { hash } = A.decodeChange(part.at(-1)!)
    return A.encodeSyncMessage({ heads: hash === undefined ? [] : [hash], need: message.need, have: message.have, changes: part })
  })
}
