import { SyncError, toSyncError } from '../errors.js'
import { describeEndpoint, responseError } from './httpErrors.js'

/** What every write needs to know: where the watch is, who writes, and how to reach the server. */
export interface RecordWriteRequest {
  /** The store's absolute watchRecords URL; a writer reads its origin, collection and room from it. */
  readonly watchUrl: string
  readonly collection: string
  readonly rkey: string
  /** The author when the app told the store; a server with authentication ignores it. */
  readonly did?: string | undefined
  /** A bearer token for `Authorization`, when the store has one. */
  readonly token?: string | undefined
  readonly fetch: typeof fetch
}

/** The server's answer to a put: its `uri` names the author even when the app never gave a did. */
export interface RecordWriteResult {
  readonly uri: string
  readonly rkey: string
  readonly cid?: string | null | undefined
}

/**
 * Where `put` and `delete` go. Each method throws a `SyncError`: `'network'` (also 5xx, 408,
 * 429) is retried with backoff; anything else (`'unauthorized'`, `'forbidden'`, `'bad-input'`,
 * `'protocol'`) marks the write failed until `retry` or `discard`.
 */
export interface RecordWriter {
  put(request: RecordWriteRequest & { readonly value: unknown }): Promise<RecordWriteResult>
  delete(request: RecordWriteRequest): Promise<void>
}

/** Errors worth sending again as they are: the server may answer next time. */
export function isRetryableWriteError(error: SyncError): boolean {
  return error.code === 'network' || error.code === 'unavailable'
}

/**
 * The reference server's writes (DESIGN §8): `POST /xrpc/<collection>.putRecord
 * {roomUri, rkey, value}` answering `{uri, rkey, cid}`, and `.deleteRecord {roomUri, rkey}`.
 */
export const referenceWriter: RecordWriter = {
  async put(request) {
    const answer = await postXrpc(request, `${request.collection}.putRecord`, { ...roomOf(request), rkey: request.rkey, value: request.value, did: request.did })
    if (typeof answer.uri !== 'string') throw new SyncError('protocol', 'putRecord answered without a uri')
    return { uri: answer.uri, rkey: typeof answer.rkey === 'string' ? answer.rkey : request.rkey, cid: typeof answer.cid === 'string' ? answer.cid : null }
  },
  async delete(request) {
    await postXrpc(request, `${request.collection}.deleteRecord`, { ...roomOf(request), rkey: request.rkey, did: request.did })
  },
}

export interface ContrailWriterOptions {
  /** The deployment's XRPC namespace: writes go to `<namespace>.space.putRecord`. */
  namespace: string
}

/**
 * A contrail server's writes: `POST /xrpc/<ns>.space.putRecord {spaceUri, collection, rkey,
 * record}` (answering `{rkey, authorDid}`) and `<ns>.space.deleteRecord {spaceUri, collection,
 * rkey}`. The space is the watch URL's `spaceUri` (or `roomUri`) parameter.
 */
export function contrailWriter({ namespace }: ContrailWriterOptions): RecordWriter {
  const space = (request: RecordWriteRequest): { spaceUri: string; collection: string; rkey: string } => {
    const params = new URL(request.watchUrl).searchParams
    return { spaceUri: params.get('spaceUri') ?? params.get('roomUri') ?? '', collection: request.collection, rkey: request.rkey }
  }
  return {
    async put(request) {
      const answer = await postXrpc(request, `${namespace}.space.putRecord`, { ...space(request), record: request.value })
      const did = typeof answer.authorDid === 'string' ? answer.authorDid : request.did
      if (did === undefined) throw new SyncError('protocol', 'space.putRecord answered without authorDid')
      const rkey = typeof answer.rkey === 'string' ? answer.rkey : request.rkey
      return { uri: typeof answer.uri === 'string' ? answer.uri : `at://${did}/${request.collection}/${rkey}`, rkey, cid: typeof answer.cid === 'string' ? answer.cid : null }
    },
    async delete(request) {
      await postXrpc(request, `${namespace}.space.deleteRecord`, space(request))
    },
  }
}

function roomOf(request: RecordWriteRequest): { roomUri: string } {
  return { roomUri: new URL(request.watchUrl).searchParams.get('roomUri') ?? '' }
}

/** POSTs JSON to `/xrpc/<method>` on the watch's origin path prefix and returns the JSON answer. */
async function postXrpc(request: RecordWriteRequest, method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const endpoint = xrpcUrl(request.watchUrl, method)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`
  let response: Response
  try {
    response = await request.fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body) })
  } catch (error) {
    throw new SyncError('network', `${describeEndpoint(endpoint)} could not be reached`, { cause: error })
  }
  const error = await responseError(response, describeEndpoint(endpoint))
  // Any other 4xx is the write's own fault (bad rkey, bad value, …): sending it again cannot help.
  if (error) throw error.code === 'protocol' && response.status < 500 ? new SyncError('bad-input', error.message, { status: response.status }) : error
  try {
    const answer: unknown = await response.json()
    return typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {}
  } catch (cause) {
    throw toSyncError(cause, 'protocol')
  }
}

/** `/xrpc/<method>` beside the watch endpoint (a server mounted under a path prefix keeps it). */
function xrpcUrl(watchUrl: string, method: string): string {
  const url = new URL(watchUrl)
  const at = url.pathname.lastIndexOf('/xrpc/')
  url.pathname = `${at === -1 ? '' : url.pathname.slice(0, at)}/xrpc/${method}`
  url.search = ''
  url.hash = ''
  return url.toString()
}
