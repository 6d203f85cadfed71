/**
 * WebSocket close codes both syncline sockets use (the watchRecords socket and the
 * automerge-repo document socket), and the one reading of them both clients share.
 */

/** The server is shutting down (RFC 6455). */
export const CLOSE_GOING_AWAY = 1001
/** The peer broke the protocol (RFC 6455). The document server closes with it after refusing a join. */
export const CLOSE_PROTOCOL_ERROR = 1002
/** A policy refusal (RFC 6455): rate limits, too many documents; the reason says which. */
export const CLOSE_POLICY = 1008
/** A frame over the server's size limit (RFC 6455). */
export const CLOSE_TOO_BIG = 1009
/** The server failed in a way that is not the client's fault (RFC 6455). */
export const CLOSE_INTERNAL_ERROR = 1011
/** "Try again later" (RFC 6455): dropped as the slowest reader while the server's send buffers were full. */
export const CLOSE_TRY_AGAIN_LATER = 1013
/** A document socket that sent nothing: no `join` in time, or idle for `idleTimeoutMs`. */
export const CLOSE_IDLE = 4008
/** The credentials (token or ticket) were refused: like HTTP 401. */
export const CLOSE_UNAUTHORIZED = 4401
/** The caller is known but may not watch this: like HTTP 403. */
export const CLOSE_FORBIDDEN = 4403
/** The server heard no answer to its pings. */
export const CLOSE_NO_PONG = 4408
/** The client fell too far behind (or the events since its handshake are gone): take a fresh snapshot. */
export const CLOSE_RESNAPSHOT = 4409

export type CloseClass = 'unauthorized' | 'forbidden' | 'resnapshot' | 'other'

/**
 * What a close means for a client. 4401/4403 are explicit; servers that only use the
 * standard codes say the same with 1008 and a reason, so a 1008 reason naming a credential
 * (`auth`, `token`, `ticket`, `credential`) is 'unauthorized' and one naming a refusal
 * (`forbidden`, `denied`, `permission`) is 'forbidden'. The two sockets used to differ on
 * `ticket`: a ticket is a credential on both (an expired or bad one means "get a new one"),
 * so both read it as 'unauthorized' now. Any other 1008 (a rate limit) is 'other', retried.
 */
export function classifyClose(code: number, reason: string): CloseClass {
  if (code === CLOSE_UNAUTHORIZED || (code === CLOSE_POLICY && /auth|ticket|token|credential/i.test(reason))) return 'unauthorized'
  if (code === CLOSE_FORBIDDEN || (code === CLOSE_POLICY && /forbidden|denied|permission/i.test(reason))) return 'forbidden'
  if (code === CLOSE_RESNAPSHOT) return 'resnapshot'
  return 'other'
}

/** What a refused WebSocket upgrade's HTTP status means, read the same way as a close. */
export function classifyUpgradeStatus(status: number): CloseClass {
  return status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'other'
}
