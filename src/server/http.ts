import type { IncomingMessage, ServerResponse } from 'node:http'

/** An error that becomes a JSON answer: `{ error, message }` with an HTTP status. */
export class HttpError extends Error {
  readonly status: number
  /** A short machine-readable name, in the XRPC style (`InvalidRequest`, `ExpiredTicket`, …). */
  readonly error: string
  readonly headers: Record<string, string>

  constructor(status: number, error: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.error = error
    this.headers = headers
  }
}

/**
 * Browsers call the server from the app's own origin. Tokens travel in the Authorization
 * header or a ticket, never in cookies, so allowing any origin does not expose credentials.
 */
export const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, accept, last-event-id',
  'access-control-max-age': '600',
}

/** A comma-separated list of header names, as `Access-Control-Request-Headers` holds. */
const HEADER_NAMES = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/

/**
 * The answer to a CORS preflight: the headers the browser asks to send are allowed back,
 * whatever they are (contrail's clients send `atproto-*` ones, for example). That adds no
 * risk beyond allowing any origin: no credentials ride on cookies. A list that is not one of
 * header names gets the default list.
 */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const requested = req.headers['access-control-request-headers']?.trim()
  const headers: Record<string, string> = { ...CORS_HEADERS, vary: 'access-control-request-headers' }
  if (requested !== undefined && HEADER_NAMES.test(requested)) headers['access-control-allow-headers'] = requested
  return headers
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(payload)
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.error, message: error.message }, error.headers)
}

/** Reads a JSON object body, refusing more than `maxBytes` without buffering it all. */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const tooLarge = (): HttpError => new HttpError(413, 'PayloadTooLarge', `The request body is larger than ${maxBytes} bytes`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Drain without keeping it, so the answer reaches a client that is still sending.
    req.resume()
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > maxBytes) {
      req.resume()
      throw tooLarge()
    }
    chunks.push(chunk)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'InvalidRequest', 'The request body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'InvalidRequest', 'The request body must be a JSON object')
  }
  return body as Record<string, unknown>
}

/** `Authorization: Bearer <token>`, if present. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}
