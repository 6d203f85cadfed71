/**
 * The ticket format (DESIGN §6), for both sides: short-lived, scoped credentials a browser
 * can put in a URL (`?ticket=`), because EventSource and the browser WebSocket cannot send
 * an Authorization header. A ticket is base64url(JSON payload) + '.' +
 * base64url(HMAC-SHA256(secret, first part)); signing and checking stay on the server
 * (`src/server/tickets.ts`), which holds the secret. Only the format lives here.
 */

export interface TicketPayload {
  /** What the ticket lets its holder watch; see `watchTopic`. */
  topics: string[]
  did: string
  /** Unix milliseconds. */
  exp: number
  iat: number
  /** What a `mode=ws` handshake read; `actor` narrows the socket to that author's records, as the handshake was. */
  querySpec?: { collection: string; roomUri: string; sinceTs?: number; actor?: string }
  /**
   * The `context` that `authenticate` returned, sealed (AES-256-GCM, base64url) so a ticket in a
   * logged URL does not reveal it; `authorize` gets it back whenever the ticket is used.
   */
  ctx?: string
}

/** The query parameter a ticket travels in. */
export const TICKET_QUERY_PARAM = 'ticket'

export const TICKET_SECRET_BYTES = 32
export const DEFAULT_TICKET_TTL_MS = 120_000

/** The one topic a watchRecords ticket names. */
export const watchTopic = (collection: string, roomUri: string): string => `watchRecords:${collection}:${roomUri}`

/**
 * Contrail's topic for one space (our room): a ticket naming it lets its holder watch any
 * collection there, each watch still authorized on its own. `realtime.ticket` takes it as
 * `{ topic }`, as contrail's does.
 */
export const spaceTopic = (roomUri: string): string => `space:${roomUri}`

/**
 * The topic of a ticket for the document socket (`/`), and the `scope` a client asks
 * `realtime.ticket` for (`{ scope: 'documents' }`); each document is still authorized on its own.
 */
export const DOCUMENTS_TOPIC = 'documents'

/** A ticket's two base64url parts, or null when it is not exactly `<payload>.<signature>`. */
export function splitTicket(ticket: string): { payload: string; signature: string } | null {
  const dot = ticket.indexOf('.')
  if (dot <= 0 || dot !== ticket.lastIndexOf('.')) return null
  return { payload: ticket.slice(0, dot), signature: ticket.slice(dot + 1) }
}

/** The decoded payload JSON as a `TicketPayload`, or null when its required fields are wrong. */
export function checkTicketPayload(value: unknown): TicketPayload | null {
  if (typeof value !== 'object' || value === null) return null
  const { topics, did, exp, iat } = value as Partial<TicketPayload>
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')) return null
  if (typeof did !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') return null
  return value as TicketPayload
}
