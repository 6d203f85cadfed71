import type { IncomingMessage } from 'node:http'
import type { Gatekeeper, Identity } from './auth.js'
import { ANONYMOUS_DID } from './auth.js'
import { HttpError } from './http.js'
import type { WatchAccess } from './records/watchAccess.js'
import { DOCUMENTS_TOPIC } from './tickets.js'

/**
 * Who opened each document socket, and what they may do with each document. The socket
 * is identified once, at the upgrade (by a documents ticket, or a token); every document is
 * authorized when the connection first uses it (`read`) and when a message of its would
 * change it (`write`), and again after `server.revoke` ended that subscription.
 */
export class DocumentAccess {
  readonly #identities = new WeakMap<IncomingMessage, Identity>()
  readonly #gate: Gatekeeper
  readonly #tickets: WatchAccess

  constructor(gate: Gatekeeper, tickets: WatchAccess) {
    this.#gate = gate
    this.#tickets = tickets
  }

  /** Identifies an upgrade on `/`: `?ticket=` (a documents ticket) when present, else the token. */
  async identify(req: IncomingMessage, url: URL): Promise<Identity> {
    const ticket = url.searchParams.get('ticket')
    const identity = ticket === null ? await this.#gate.identify(req, url) : this.#tickets.identityOf(this.#tickets.verify(ticket, DOCUMENTS_TOPIC))
    this.#identities.set(req, identity)
    return identity
  }

  userOf(request: IncomingMessage): string {
    return this.#identities.get(request)?.userId ?? ANONYMOUS_DID
  }

  /** False when `authorize` says no (a refusal, not an error); other failures are thrown. */
  async allows(request: IncomingMessage, documentId: string, access: 'read' | 'write'): Promise<boolean> {
    const identity = this.#identities.get(request)
    if (!identity) return false
    try {
      await this.#gate.authorize({ type: 'sync', access, userId: identity.userId, context: identity.context, documentId })
      return true
    } catch (error) {
      if (error instanceof HttpError) return false
      throw error
    }
  }

  /** Whether two document sockets belong to the same user (who may then take over a peer id). */
  sameUser({ older, newer }: { older: IncomingMessage; newer: IncomingMessage }): boolean {
    const olderUser = this.#identities.get(older)?.userId
    return olderUser !== undefined && olderUser === this.#identities.get(newer)?.userId
  }
}
