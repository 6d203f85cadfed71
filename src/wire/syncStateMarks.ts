import type { Heads, SyncState } from '@automerge/automerge/slim'

/**
 * A peer's sync state as `generateSyncMessage` leaves it after sending these changes at these
 * heads: the changes count as sent (not sent again), the heads as last sent, and a message as
 * in flight. Shared by the server's early relay and the client's early send, which both build
 * a message without `generateSyncMessage` and must leave the state as it would.
 */
export function markSent(state: SyncState, heads: Heads, hashes: readonly string[]): SyncState {
  // At run time Automerge keeps `sentHashes` as a set-like object ({ [hash]: true }), whatever its type says.
  const sentHashes = { ...(state.sentHashes as unknown as Record<string, true>) }
  for (const hash of hashes) sentHashes[hash] = true
  return { ...state, lastSentHeads: heads, sentHashes: sentHashes as unknown as Heads, inFlight: true } as SyncState
}
