/** WebSocket close codes of document sockets (RFC 6455 §7.4.1; 4000–4999 are the application's). */
export const CLOSE_GOING_AWAY = 1001
export const CLOSE_PROTOCOL_ERROR = 1002
export const CLOSE_POLICY = 1008
export const CLOSE_TOO_BIG = 1009
export const CLOSE_INTERNAL_ERROR = 1011
/** "Try again later": dropped as the slowest reader while the server's send buffers were full. */
export const CLOSE_TRY_AGAIN_LATER = 1013
/** Closed for sending nothing: no `join` in time, or idle for `idleTimeoutMs`. */
export const CLOSE_IDLE = 4008
