import { LIST_RECORDS_METHOD } from '../../wire/xrpcMethods.js'
import { errorMessage, SyncError } from '../errors.js'
import { describeEndpoint, responseError } from './httpErrors.js'
import { parseWatchEvent } from './parseWatchEvent.js'
import type { SchemaPipe } from './schemaPipe.js'
import type { RecordStoreOptions, WatchRecord } from './types.js'

export interface PageRequest {
  /** The absolute watchRecords URL; the page comes from its collection's listRecords. */
  readonly watchUrl: string
  /** The collection `watchUrl` watches (`collectionFromWatchUrl`); '' when it names none. */
  readonly collection: string
  readonly cursor: string
  readonly limit: number
  /** A ticket for this watch, when the store uses one (listRecords needs the same read access). */
  readonly ticket: string | undefined
  readonly fetch: typeof fetch
}

export interface RecordPage<V> {
  readonly records: readonly WatchRecord<V>[]
  /** Where the next older page starts; null when this was the oldest. */
  readonly cursor: string | null
  /** Records of the page that were skipped as malformed. */
  readonly ignored: SyncError[]
}

/**
 * The listRecords URL next to a watch: same path prefix and query (the room, any filter),
 * the last segment `<collection>.listRecords`, and this page's cursor and limit. A watch's own
 * `mode`, `ticket`, `cursor` and `limit` do not carry over. A URL that names no collection
 * keeps its path. The collection comes from the caller, which has it, rather than from reading
 * the URL again here: see wire/watchRecords.ts.
 */
export function listRecordsUrl(watchUrl: string, request: Pick<PageRequest, 'collection' | 'cursor' | 'limit' | 'ticket'>): string {
  const url = new URL(watchUrl)
  const slash = url.pathname.lastIndexOf('/')
  if (request.collection !== '') url.pathname = `${url.pathname.slice(0, slash + 1)}${request.collection}.${LIST_RECORDS_METHOD}`
  for (const name of ['mode', 'ticket', 'cursor', 'limit']) url.searchParams.delete(name)
  url.searchParams.set('cursor', request.cursor)
  url.searchParams.set('limit', String(request.limit))
  if (request.ticket !== undefined) url.searchParams.set('ticket', request.ticket)
  url.hash = ''
  return url.toString()
}

/**
 * One page of older records, `GET …listRecords?cursor=…&limit=…` → `{ records, cursor? }`.
 * @throws SyncError `'network'` (no answer, 408/429/5xx), `'unauthorized'` (401), `'forbidden'`
 * (403), `'protocol'` (any other status, or a body that is not such a page).
 */
export async function fetchRecordPage<V>(request: PageRequest): Promise<RecordPage<V>> {
  const endpoint = listRecordsUrl(request.watchUrl, request)
  const where = describeEndpoint(endpoint)
  let response: Response
  try {
    response = await request.fetch(endpoint, { headers: { accept: 'application/json' } })
  } catch (error) {
    throw new SyncError('network', `Could not reach ${where}: ${errorMessage(error)}`, { cause: error })
  }
  const failure = await responseError(response, where)
  if (failure) throw failure
  let body: unknown
  try {
    body = await response.json()
  } catch (error) {
    throw new SyncError('protocol', `${where} answered with something that is not JSON`, { cause: error })
  }
  return readPage<V>(body, request.collection, where)
}

export interface OlderPageRequest<V> {
  readonly watchUrl: string
  readonly collection: string
  readonly options: RecordStoreOptions<V>
  readonly gate: SchemaPipe<V>
  readonly cursor: string
  readonly limit: number
}

/**
 * A store's next older page: a fresh ticket when the store mints them, the page, and its
 * records through the store's schema; malformed or refused records go to `onIgnoredError`.
 */
export async function fetchOlderPage<V>({ watchUrl, collection, options, gate, cursor, limit }: OlderPageRequest<V>): Promise<RecordPage<V>> {
  const report = (error: SyncError): void => options.onIgnoredError?.(error)
  const mint = options.mintTicket
  const ticket = typeof mint === 'function' ? await mint() : mint
  const page = await fetchRecordPage<V>({ watchUrl, collection, cursor, limit, ticket, fetch: options.fetch ?? globalThis.fetch.bind(globalThis) })
  page.ignored.forEach(report)
  return { ...page, records: await gate.records(page.records, report) }
}

function readPage<V>(body: unknown, collection: string, where: string): RecordPage<V> {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { records?: unknown }).records)) {
    throw new SyncError('protocol', `${where} answered without a "records" array`)
  }
  const { records: raw, cursor } = body as { records: unknown[]; cursor?: unknown }
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') {
    throw new SyncError('protocol', `${where} answered with a "cursor" that is not a string`)
  }
  const records: WatchRecord<V>[] = []
  const ignored: SyncError[] = []
  for (const record of raw) {
    // The same checks as a snapshot record: a page is a snapshot that goes further back.
    const parsed = parseWatchEvent<V>('snapshot.record', { record }, { collection })
    if (parsed instanceof SyncError) ignored.push(parsed)
    else if (parsed?.kind === 'snapshot.record') records.push(parsed.data.record)
  }
  // An empty cursor cannot fetch anything further either.
  return { records, cursor: typeof cursor === 'string' && cursor.length > 0 ? cursor : null, ignored }
}
