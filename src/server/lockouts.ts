import type { AuthorizeRequest, RevokeRequest } from './auth.js'

/**
 * Who `server.revoke` / `removeMember` shut out, until `server.restore` / `addMember` lets
 * them back. Ending open access alone was not enough: a reconnect went through `authorize`
 * again, and an app that had not yet changed its rules (or has none, in development mode)
 * let the removed member straight back in. Held in memory on every instance (revokes travel
 * through the pub/sub); a restarted instance starts with none, so lasting membership still
 * belongs in `authorize`.
 */
export class Lockouts {
  /** By user, then by the lockout's key: an operation only looks at its own user's lockouts. */
  readonly #byUser = new Map<string, Map<string, RevokeRequest>>()

  /** Shuts `request.userId` out of what the request names (everything when only the user is given). */
  add(request: RevokeRequest): void {
    const entry = narrowed(request)
    let entries = this.#byUser.get(entry.userId)
    if (!entries) this.#byUser.set(entry.userId, (entries = new Map()))
    entries.set(keyOf(entry), entry)
  }

  /**
   * Lifts the lockouts this request names: those with the same fields where the request has
   * them (`{ userId }` alone lifts every lockout of that user). A wider lockout than the
   * request stays: `restore({ userId, room })` does not undo `revoke({ userId })`.
   */
  lift(request: RevokeRequest): number {
    const entries = this.#byUser.get(request.userId)
    if (!entries) return 0
    let lifted = 0
    for (const [key, entry] of entries) {
      if (request.documentId !== undefined && entry.documentId !== request.documentId) continue
      if (request.collection !== undefined && entry.collection !== request.collection) continue
      if (request.room !== undefined && entry.room !== request.room) continue
      entries.delete(key)
      lifted++
    }
    if (entries.size === 0) this.#byUser.delete(request.userId)
    return lifted
  }

  /** Whether a lockout covers this operation: same user, and every field the lockout names matches. */
  blocks(request: Pick<AuthorizeRequest, 'userId' | 'documentId' | 'collection' | 'room'>): boolean {
    for (const entry of this.#byUser.get(request.userId)?.values() ?? []) {
      if (entry.documentId !== undefined && entry.documentId !== request.documentId) continue
      if (entry.collection !== undefined && entry.collection !== request.collection) continue
      if (entry.room !== undefined && entry.room !== request.room) continue
      return true
    }
    return false
  }
}

/** Only the fields that narrow: a request object may carry undefined ones. */
function narrowed({ userId, documentId, collection, room }: RevokeRequest): RevokeRequest {
  return { userId, ...(documentId !== undefined && { documentId }), ...(collection !== undefined && { collection }), ...(room !== undefined && { room }) }
}

function keyOf(entry: RevokeRequest): string {
  return JSON.stringify([entry.userId, entry.documentId ?? null, entry.collection ?? null, entry.room ?? null])
}
