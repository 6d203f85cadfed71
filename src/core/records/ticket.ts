import { SyncError } from '../errors.js'

export interface TicketRequest {
  /** The watchRecords URL the ticket is for (relative to `baseUrl`). */
  readonly watchUrl: string
  /**
   * The collection it watches (`collectionFromWatchUrl`, '' for none): given by the caller,
   * which has it, so this lazily loaded chunk shares no module with the page.
   */
  readonly collection: string
  readonly baseUrl: string | undefined
  readonly readToken: () => Promise<string>
  readonly fetch: typeof fetch
}

/**
 * Trades the bearer token for a short-lived watch ticket (`POST /xrpc/realtime.ticket`), so
 * the token never travels in a stream URL.
 * @throws SyncError `'unauthorized'` (401), `'forbidden'` (403), `'network'` (other HTTP
 * failures) or `'protocol'` (an answer without a ticket).
 */
export async function mintWatchTicket({ watchUrl, collection, baseUrl, readToken, fetch: fetchImpl }: TicketRequest): Promise<string> {
  const bearer = await readToken()
  const endpoint = new URL(watchUrl, baseUrl)
  const roomUri = endpoint.searchParams.get('roomUri') ?? endpoint.searchParams.get('spaceUri') ?? ''
  const response = await fetchImpl(new URL('/xrpc/realtime.ticket', endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ collection, roomUri }),
  })
  if (response.status === 401) throw new SyncError('unauthorized', 'The server refused the token', { status: 401 })
  if (response.status === 403) throw new SyncError('forbidden', 'Not allowed to watch this collection', { status: 403 })
  if (!response.ok) throw new SyncError('network', `Minting a ticket failed with HTTP ${response.status}`, { status: response.status })
  const body = (await response.json()) as { ticket?: unknown }
  if (typeof body.ticket !== 'string') throw new SyncError('protocol', 'The ticket endpoint answered without a ticket')
  return body.ticket
}
