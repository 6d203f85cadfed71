import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SyncError } from '../core/errors.js'

/**
 * Watch tickets (DESIGN §6): short-lived, scoped credentials a browser can put in a URL,
 * because EventSource and the browser WebSocket cannot send an Authorization header.
 * Format: base64url(JSON payload) + '.' + base64url(HMAC-SHA256(secret, first part)).
 */
export interface TicketPayload {
  /** What the ticket lets its holder watch; see `watchTopic`. */
  topics: string[]
  did: string
  /** Unix milliseconds. */
  exp: number
  iat: number
  querySpec?: { collection: string; roomUri: string; sinceTs?: number }
}

export type TicketCheck =
  | { ok: true; payload: TicketPayload }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' }

export const TICKET_SECRET_BYTES = 32
export const DEFAULT_TICKET_TTL_MS = 120_000

/** The one topic a watchRecords ticket names. */
export const watchTopic = (collection: string, roomUri: string): string => `watchRecords:${collection}:${roomUri}`

/**
 * Accepts exactly 32 bytes: raw bytes, 64 hex characters, base64/base64url of 32 bytes, or
 * a 32-character string. Anything else is refused rather than stretched, so a short
 * secret never silently weakens every ticket.
 */
export function parseTicketSecret(secret: string | Uint8Array | undefined): Buffer {
  if (secret === undefined) return randomBytes(TICKET_SECRET_BYTES)
  if (typeof secret !== 'string') {
    if (secret.byteLength === TICKET_SECRET_BYTES) return Buffer.from(secret)
  } else if (/^[0-9a-f]{64}$/i.test(secret)) {
    return Buffer.from(secret, 'hex')
  } else if (/^[A-Za-z0-9_-]{43}=?$|^[A-Za-z0-9+/]{43}=$/.test(secret)) {
    const decoded = Buffer.from(secret, 'base64')
    if (decoded.byteLength === TICKET_SECRET_BYTES) return decoded
  } else if (Buffer.byteLength(secret, 'utf8') === TICKET_SECRET_BYTES) {
    return Buffer.from(secret, 'utf8')
  }
  throw new SyncError('bad-input', `ticketSecret must be exactly ${TICKET_SECRET_BYTES} bytes (raw, 64 hex characters, base64, or a 32-character string)`)
}

export class TicketSigner {
  readonly #secret: Buffer
  readonly #now: () => number

  constructor(secret: Buffer, now: () => number = Date.now) {
    this.#secret = secret
    this.#now = now
  }

  mint(fields: Omit<TicketPayload, 'exp' | 'iat'>, ttlMs = DEFAULT_TICKET_TTL_MS): { ticket: string; expiresAt: number } {
    const iat = this.#now()
    const payload: TicketPayload = { ...fields, iat, exp: iat + ttlMs }
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')
    return { ticket: `${body}.${this.#sign(body).toString('base64url')}`, expiresAt: payload.exp }
  }

  verify(ticket: string): TicketCheck {
    const dot = ticket.indexOf('.')
    if (dot <= 0 || dot !== ticket.lastIndexOf('.')) return { ok: false, reason: 'malformed' }
    const body = ticket.slice(0, dot)
    const signature = Buffer.from(ticket.slice(dot + 1), 'base64url')
    const expected = this.#sign(body)
    // Length first: timingSafeEqual throws on unequal lengths, and length is not secret.
    if (signature.byteLength !== expected.byteLength || !timingSafeEqual(signature, expected)) {
      return { ok: false, reason: 'bad-signature' }
    }
    const payload = parsePayload(body)
    if (!payload) return { ok: false, reason: 'malformed' }
    if (payload.exp <= this.#now()) return { ok: false, reason: 'expired' }
    return { ok: true, payload }
  }

  #sign(body: string): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest()
  }
}

function parsePayload(body: string): TicketPayload | null {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { topics, did, exp, iat } = value as Partial<TicketPayload>
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')) return null
  if (typeof did !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') return null
  return value as TicketPayload
}
