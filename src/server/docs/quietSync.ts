import type * as A from '@automerge/automerge'
import { sameHeads } from './syncPeek.js'

/** The fields of a sync state as Automerge's JS API hands it out (its type keeps them private). */
interface SyncStateFields {
  lastSentHeads?: A.Heads
  theirHeads?: A.Heads | null
  theirNeed?: A.Heads | null
  inFlight?: boolean
  haveResponded?: boolean
}

/**
 * Whether `generateSyncMessage(doc, state)` is sure to return no message for a document at
 * `heads`, read from the sync state alone. Each call copies the whole sync state into wasm
 * and back out (the largest cost of a relay on the server after applying the change), and
 * most calls on a busy document say nothing: a reader answering a relayed change, or the
 * second call after one that sent. Automerge's generate_sync_message ends every path with
 * this test before it builds a message:
 *
 *   if heads_unchanged && have_responded {
 *     if heads_equal && nothing_to_send { return None }
 *     if in_flight { return None }
 *   }
 *
 * (heads_unchanged: last sent heads == our heads; heads_equal: their heads == our heads.)
 * Only the cases it can decide for certain answer true: "nothing to send" is taken only when
 * the peer has our heads and needs nothing, so every change it might lack is in its heads.
 * Any doubt (an unknown field, heads in another order) answers false, and the caller asks
 * Automerge as before.
 */
export function surelyQuiet(state: A.SyncState, heads: A.Heads): boolean {
  const { lastSentHeads, theirHeads, theirNeed, inFlight, haveResponded } = state as unknown as SyncStateFields
  if (haveResponded !== true || lastSentHeads === undefined || !sameHeads(lastSentHeads, heads)) return false
  if (inFlight === true) return true
  return theirHeads != null && sameHeads(theirHeads, heads) && Array.isArray(theirNeed) && theirNeed.length === 0
}
