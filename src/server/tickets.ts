import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SyncError } from '../core/errors.js'
import type { TicketPayload } from '../wire/tickets.js'
import { checkTicketPayload, DEFAULT_TICKET_TTL_MS, splitTicket, TICKET_SECRET_BYTES } from '../wire/tickets.js'

/**
 * Watch tickets (DESIGN §6): signing and checking, with the server's secret. The format
 * (payload fields, topics, the two-part grammar) is declared in `src/wire/tickets.ts`.
 */
export type { TicketPayload } from '../wire/tickets.js'
export { DEFAULT_TICKET_TTL_MS, DOCUMENTS_TOPIC, spaceTopic, TICKET_SECRET_BYTES, watchTopic } from '../wire/tickets.js'

export type TicketCheck =
  | { ok: true; payload: TicketPayload }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' }

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

  /**
   * `notAfter` (Unix ms) caps the expiry: a ticket minted on the strength of another ticket
   * must not outlive it, or a chain of them would keep access alive forever.
   */
  mint(fields: Omit<TicketPayload, 'exp' | 'iat'>, ttlMs = DEFAULT_TICKET_TTL_MS, notAfter = Infinity): { ticket: string; expiresAt: number } {
    const iat = this.#now()
    const payload: TicketPayload = { ...fields, iat, exp: Math.min(iat + ttlMs, notAfter) }
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')
    return { ticket: `${body}.${this.#sign(body).toString('base64url')}`, expiresAt: payload.exp }
  }

  verify(ticket: string): TicketCheck {
    const parts = splitTicket(ticket)
    if (parts === null) return { ok: false, reason: 'malformed' }
    const body = parts.payload
    const signature = Buffer.from(parts.signature, 'base64url')
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

  /** Seals a JSON-serializable context for a ticket; undefined (nothing to carry) stays undefined. */
  sealContext(context: unknown): string | undefined {
    if (context === undefined) return undefined
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#contextKey(), iv)
    const sealed = Buffer.concat([cipher.update(JSON.stringify(context), 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')
  }

  /** The context a verified ticket carries; undefined when it carries none or it does not open. */
  openContext(payload: TicketPayload): unknown {
    if (typeof payload.ctx !== 'string') return undefined
    try {
      const bytes = Buffer.from(payload.ctx, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', this.#contextKey(), bytes.subarray(0, 12))
      decipher.setAuthTag(bytes.subarray(12, 28))
      return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8'))
    } catch {
      return undefined
    }
  }

  /** A key of its own for sealing, derived from the secret, so the MAC key is used for one thing only. */
  #contextKey(): Buffer {
    return createHmac('sha256', this.#secret).update('syncline ticket context').digest()
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
  return checkTicketPayload(value)
}
