import type { IncomingMessage } from 'node:http'
import type { Gatekeeper, Identity } from '../auth.js'
import { HttpError } from '../http.js'
import type { RecordScope } from '../storage/types.js'
import type { TicketPayload, TicketSigner } from '../tickets.js'
import { spaceTopic, watchTopic } from '../tickets.js'

/** Who a watch is for, and the ticket it came with (when it came with one). */
export interface WatchCaller {
  identity: Identity
  ticket: TicketPayload | undefined
}

/**
 * Who may watch a room, asked every time a watch starts or restarts: an SSE stream, a
 * `mode=ws` handshake, its socket, a list. A ticket stands in for the token (it names the
 * user and carries their `context`), but never for `authorize`: a ticket minted before
 * access was revoked opens nothing once `authorize` says no.
 */
export class WatchAccess {
  readonly #gate: Gatekeeper
  readonly #tickets: TicketSigner
  readonly #ttlMs: number

  constructor(gate: Gatekeeper, tickets: TicketSigner, ttlMs: number) {
    this.#gate = gate
    this.#tickets = tickets
    this.#ttlMs = ttlMs
  }

  /**
   * The caller of a watch or list: by its `ticket` parameter if any (one for this watch, or
   * contrail's `space:` ticket for the whole room), else by its token; authorized to read.
   */
  async caller(req: IncomingMessage, url: URL, scope: RecordScope): Promise<WatchCaller> {
    const ticket = url.searchParams.get('ticket')
    const payload = ticket === null ? undefined : this.verify(ticket, watchTopic(scope.collection, scope.room), spaceTopic(scope.room))
    const identity = payload ? this.identityOf(payload) : await this.#gate.identify(req, url)
    await this.authorize('read', identity, scope)
    return { identity, ticket: payload }
  }

  /**
   * A ticket for `topics`, for this identity. Minted on the strength of another ticket, it
   * expires no later than that one: a chain of handshakes cannot outlive the first ticket.
   */
  mint(identity: Identity, fields: Pick<TicketPayload, 'topics' | 'querySpec'>, from?: TicketPayload): { ticket: string; expiresAt: number } {
    const ctx = this.#tickets.sealContext(identity.context)
    return this.#tickets.mint({ ...fields, did: identity.userId, ...(ctx !== undefined && { ctx }) }, this.#ttlMs, from?.exp)
  }

  identityOf(payload: TicketPayload): Identity {
    const context = this.#tickets.openContext(payload)
    return context === undefined ? { userId: payload.did } : { userId: payload.did, context }
  }

  /** A valid, unexpired ticket that names one of `topics`, or a 401/403. */
  verify(ticket: string, ...topics: string[]): TicketPayload {
    const check = this.#tickets.verify(ticket)
    if (!check.ok) {
      if (check.reason === 'expired') throw new HttpError(401, 'ExpiredTicket', 'The ticket has expired; mint a new one')
      throw new HttpError(401, 'InvalidTicket', check.reason === 'bad-signature' ? 'The ticket signature does not match' : 'The ticket is malformed')
    }
    if (!topics.some((topic) => check.payload.topics.includes(topic))) throw new HttpError(403, 'TicketScope', 'The ticket is for another collection, room or purpose')
    return check.payload
  }

  authorize(type: 'read' | 'write', identity: Identity, scope: RecordScope): Promise<void> {
    return this.#gate.authorize({ type, access: type, userId: identity.userId, context: identity.context, collection: scope.collection, room: scope.room })
  }
}
