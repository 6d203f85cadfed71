import type { Environment } from '../environment.js'
import { SyncError } from '../errors.js'
import { describeEndpoint, responseError } from '../records/httpErrors.js'
import { DOCUMENTS_TOPIC } from '../../wire/tickets.js'
import { TICKET_METHOD } from '../../wire/xrpcMethods.js'

/** How the document socket proves who it is: a short-lived ticket, or (fallback) the token itself. */
export type SocketCredential = { ticket: string } | { token: string } | Record<string, never>

/**
 * Statuses that do not mean "this server mints no tickets": refusals (the token is bad) and
 * passing trouble (retried). Any other answer, 501 included, is a server without the
 * endpoint: a stock one says 404 or, listening with `ws` alone, 426.
 */
const REFUSED = new Set([401, 403])
const PASSING = new Set([408, 429, 500, 502, 503, 504])

/**
 * `realtime.ticket` next to the socket: `wss://host/base/` → `https://host/base/xrpc/realtime.ticket`.
 * `option` overrides it (`false`: never ask, send the token in the URL).
 */
export function ticketEndpoint(socketUrl: string, option: string | false | undefined): string | null {
  if (option === false) return null
  const url = new URL(option ?? `xrpc/${TICKET_METHOD}`, socketUrl)
  // The socket's own query (a development server's `devDid`, say) names the same caller.
  if (option === undefined) url.search = new URL(socketUrl).search
  if (url.protocol === 'ws:') url.protocol = 'http:'
  else if (url.protocol === 'wss:') url.protocol = 'https:'
  return url.toString()
}

/**
 * Trades the bearer token for a documents ticket (POST `{ scope: 'documents' }` with
 * `Authorization: Bearer`), so the token never appears in a URL that servers and proxies
 * log. A server without the endpoint (any other answer than a ticket, a refusal or passing
 * trouble), or one a browser cannot reach with a POST (a stock server without CORS makes
 * fetch throw, and a server that never answers it times out), gets `?token=` as before;
 * 401/403 are refusals, 408/429/5xx retried.
 * `remember` learns that a server has no ticket endpoint, so it is not asked again on
 * every reconnect.
 */
export async function socketCredential(
  token: string | undefined,
  endpoint: string | null,
  options: {
    fetch: typeof fetch | undefined
    remember: { noTickets: boolean }
    environment: Pick<Environment, 'setTimeout' | 'clearTimeout'>
    timeoutMs: number
  },
): Promise<SocketCredential | SyncError> {
  const { remember, environment } = options
  if (token === undefined) return {}
  if (endpoint === null || remember.noTickets || !options.fetch) return { token }
  const abort = new AbortController()
  const timer = environment.setTimeout(() => abort.abort(), options.timeoutMs)
  let response: Response
  try {
    response = await options.fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: DOCUMENTS_TOPIC }),
      cache: 'no-store',
      signal: abort.signal,
    })
  } catch {
    return { token }
  } finally {
    environment.clearTimeout(timer)
  }
  if (REFUSED.has(response.status) || PASSING.has(response.status)) {
    return (await responseError(response, describeEndpoint(endpoint))) ?? new SyncError('network', `${describeEndpoint(endpoint)} failed`)
  }
  const ticket = response.ok ? await readTicket(response) : undefined
  if (ticket === undefined) {
    remember.noTickets = true
    await response.body?.cancel().catch(() => {})
    return { token }
  }
  return { ticket }
}

async function readTicket(response: Response): Promise<string | undefined> {
  try {
    const { ticket } = (await response.json()) as { ticket?: unknown }
    return typeof ticket === 'string' && ticket.length > 0 ? ticket : undefined
  } catch {
    return undefined
  }
}

/** One connection's ticket source: where to ask, and whether the server turned out to mint none. */
export class DocumentTickets {
  readonly #endpoint: string | null
  readonly #options: { fetch: typeof fetch | undefined; environment: Pick<Environment, 'setTimeout' | 'clearTimeout'>; timeoutMs: number }
  /** Set once the server said it mints no tickets: the token then goes in the URL without asking. */
  readonly #remember = { noTickets: false }

  constructor(options: { socketUrl: string; ticketUrl: string | false | undefined; fetch: typeof fetch | undefined; environment: Pick<Environment, 'setTimeout' | 'clearTimeout'>; timeoutMs: number }) {
    this.#endpoint = ticketEndpoint(options.socketUrl, options.ticketUrl)
    this.#options = options
  }

  credential(token: string | undefined): Promise<SocketCredential | SyncError> {
    return socketCredential(token, this.#endpoint, { ...this.#options, remember: this.#remember })
  }
}
