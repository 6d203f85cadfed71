/**
 * A contrail-format fixture server: what a contrail deployment says on the wire, so tests can
 * point syncline's client at it. It follows contrail's route code at commit fa3d4cd
 * (github.com/flo-bit/contrail), read, not copied:
 *
 * - `GET /xrpc/<ns>.<name>.watchRecords` — `packages/contrail-appview/src/core/router/collection.ts`
 *   (the watchRecords route and `runQueryStream`): `spaceUri` or `actor` is required (a bare
 *   `roomUri` is a 400 "spaceUri or actor required"); `snapshot.start` carries `{ spaceUri,
 *   collection }` (or `{ actor, collection }`); snapshot rows are `runPipeline`'s rows, which come
 *   from `formatRecord` (`router/helpers.ts`): `uri, cid, value, did, collection, rkey, time_us`
 *   and `space`, no `indexed_at`; live `record.created` records do carry `indexed_at` (ms) and
 *   `time_us = ts * 1000`; `record.deleted` is `{ uri, did, rkey }`; SSE sends `: keepalive`
 *   comments and `Cache-Control: no-cache, no-transform`.
 * - Paging — `runPipeline` and `queryRecords`/`buildCursor` in `core/db/records.ts`: `limit`
 *   (default 50), newest `time_us` first, and an opaque base64url cursor `{ t, k: 'time' }` given
 *   only when a page came back full; `snapshot.end` carries it. `<ns>.<name>.listRecords` pages
 *   with the same pipeline.
 * - Hydration — `runQueryStream`'s `handleChildEvent`: with `hydrate<Relation>=N`, a child
 *   record created in the space whose match field names a watched parent is sent as
 *   `hydration.added { parentUri, relation, child }`, its delete as `hydration.removed
 *   { parentUri, relation, childRkey, childDid }`.
 * - `mode=ws` — the handshake branch of the same route: `{ transport: 'ws', snapshot: { records,
 *   cursor }, querySpec, ticket, ticketTtlMs, sinceTs, wsUrl }` with `sinceTs` in milliseconds and
 *   `wsUrl` a relative path (the request's own, `mode` removed, `ticket` and `sinceTs` set). The
 *   upgrade follows the Durable Object path (`contrail-base/src/realtime/durable-object.ts`): live
 *   `{ kind, data }` messages only, after replaying the events newer than `sinceTs`; no snapshot
 *   and no keepalive on the socket.
 * - `POST /xrpc/<ns>.realtime.ticket { topic }` → `{ ticket, topics, expiresAt }` —
 *   `core/realtime/router.ts`. Such a ticket carries no querySpec, so, as in contrail, it does
 *   not open a watch; `mintWatchTicket` stands in for an app's own watch-ticket endpoint.
 * - `POST /xrpc/<ns>.space.putRecord { spaceUri, collection, rkey?, record }` → `{ rkey,
 *   authorDid, createdAt }` and `.space.deleteRecord { spaceUri, collection, rkey }` → `{ ok: true }`
 *   — `packages/contrail-record-host/src/routes.ts`.
 *
 * Simplifications (not contrail's behaviour): the caller's identity is `Authorization: Bearer
 * <did>` instead of a service-auth JWT; tickets are random strings kept in memory; every space
 * is readable anonymously unless `requireAuth`; `actor` watches that author's records in every
 * space (contrail accepts only community DIDs there); and two records never share a `time_us`
 * (contrail's time-only cursor could skip one that did).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeCursor, encodeCursor, inScope, json, readJson } from './contrailFormat.js'
import type { ContrailRow, LiveEvent, QuerySpec, Scope, Send } from './contrailFormat.js'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

export interface ContrailRelation {
  /** The child records' collection NSID. */
  collection: string
  /** The child's field that holds its parent's uri. */
  field: string
}

export interface ContrailServerOptions {
  /** The XRPC namespace; collections are `<namespace>.<name>`. Default `com.example`. */
  namespace?: string
  /** Hydratable relations of every collection, by name (`hydrateComments=5` for `comments`). */
  relations?: Record<string, ContrailRelation>
  /** Refuse watches without a valid watch ticket or bearer (401 AuthRequired). */
  requireAuth?: boolean
}

export type { ContrailRow } from './contrailFormat.js'

export interface ContrailServer {
  readonly url: string
  readonly namespace: string
  /** A watch-scoped ticket, as an app's backend would mint one for `mintTicket`. */
  mintWatchTicket(did: string, collection: string, spaceUri: string): string
  /** How many watch requests the server refused with `roomUri` and no `spaceUri`. */
  readonly refusedRoomUri: number
  /** How many frames of each kind the server has sent, over both transports. */
  readonly sent: Readonly<Record<string, number>>
  close(): Promise<void>
}

const TICKET_TTL_MS = 120_000

export async function startContrailServer(options: ContrailServerOptions = {}): Promise<ContrailServer> {
  const ns = options.namespace ?? 'com.example'
  const relations = options.relations ?? {}
  const rows = new Map<string, ContrailRow>() // by space + uri
  const recent: LiveEvent[] = []
  const watchers = new Set<(event: LiveEvent) => void>()
  const tickets = new Map<string, { did: string; topics: string[]; querySpec?: QuerySpec; expiresAt: number }>()
  let lastTimeUs = 0
  let refusedRoomUri = 0
  const sent: Record<string, number> = {}
  const counted = (send: Send): Send => (kind, data) => {
    sent[kind] = (sent[kind] ?? 0) + 1
    send(kind, data)
  }

  const publish = (event: LiveEvent): void => {
    recent.push(event)
    if (recent.length > 1000) recent.shift()
    for (const watcher of watchers) watcher(event)
  }
  const sign = (did: string, topics: string[], querySpec?: QuerySpec): string => {
    const ticket = randomUUID()
    tickets.set(ticket, { did, topics, ...(querySpec && { querySpec }), expiresAt: Date.now() + TICKET_TTL_MS })
    return ticket
  }
  const verify = (ticket: string | null) => {
    const payload = ticket === null ? undefined : tickets.get(ticket)
    return payload && payload.expiresAt > Date.now() ? payload : undefined
  }
  const bearer = (request: IncomingMessage): string | undefined => /^Bearer (did:\S+)$/.exec(request.headers.authorization ?? '')?.[1]

  /** The snapshot pipeline: newest first, `limit` (default 50), time-only keyset cursor. */
  const pipeline = (collection: string, scope: Scope, params: URLSearchParams): { records: ContrailRow[]; cursor?: string } => {
    const limit = Number.parseInt(params.get('limit') ?? '', 10) || 50
    const before = decodeCursor(params.get('cursor'))
    const matching = [...rows.values()]
      .filter((row) => row.collection === collection && inScope(scope, row) && (before === undefined || row.time_us < before))
      .sort((a, b) => b.time_us - a.time_us)
      .slice(0, limit)
    const last = matching.at(-1)
    return matching.length === limit && last ? { records: matching, cursor: encodeCursor(last.time_us) } : { records: matching }
  }

  /** `runQueryStream`'s live half: the collection's own events, and hydration deltas for its children. */
  const streamer = (collection: string, scope: Scope, params: URLSearchParams, send: Send) => {
    const tracked = Object.entries(relations).filter(([name]) => Number.parseInt(params.get(`hydrate${name[0]?.toUpperCase()}${name.slice(1)}`) ?? '', 10) > 0)
    const parents = new Set<string>()
    const childToParent = new Map<string, { parentUri: string; relation: string }>()
    const live = (event: LiveEvent): void => {
      const { row } = event
      if (!inScope(scope, row)) return
      if (row.collection !== collection) {
        const relation = tracked.find(([, rel]) => rel.collection === row.collection)
        if (!relation) return
        if (event.kind === 'record.created') {
          const parentUri = (row.value as Record<string, unknown> | null)?.[relation[1].field]
          if (typeof parentUri !== 'string' || !parents.has(parentUri)) return
          childToParent.set(row.rkey, { parentUri, relation: relation[0] })
          const { time_us: _t, ...child } = row
          send('hydration.added', { parentUri, relation: relation[0], child })
        } else {
          const info = childToParent.get(row.rkey)
          if (!info) return
          childToParent.delete(row.rkey)
          send('hydration.removed', { parentUri: info.parentUri, relation: info.relation, childRkey: row.rkey, childDid: row.did })
        }
        return
      }
      if (event.kind === 'record.created') {
        parents.add(row.uri)
        send('record.created', { record: { ...row, time_us: event.ts * 1000, indexed_at: event.ts } })
      } else {
        parents.delete(row.uri)
        send('record.deleted', { uri: row.uri, did: row.did, rkey: row.rkey })
      }
    }
    return { live, seeParent: (uri: string) => parents.add(uri) }
  }

  /** Reads a watch request's scope and caller; a string is the error to answer with. */
  const watchScope = (request: IncomingMessage, url: URL, collection: string): { scope: Scope; did: string | undefined } | { status: number; body: object } => {
    const params = url.searchParams
    const spaceUri = params.get('spaceUri')
    const actor = params.get('actor')
    if (!spaceUri && !actor) {
      if (params.has('roomUri')) refusedRoomUri++
      return { status: 400, body: { error: 'InvalidRequest', message: 'spaceUri or actor required' } }
    }
    const ticket = verify(params.get('ticket'))
    const spec = ticket?.querySpec
    const ticketFits = spec?.collection === collection && (spaceUri ? spec.spaceUri === spaceUri && ticket?.topics.includes(`space:${spaceUri}`) : spec.actor === actor)
    const did = ticketFits ? ticket?.did : bearer(request)
    if (options.requireAuth && did === undefined) return { status: 401, body: { error: 'AuthRequired', message: 'service-auth JWT or ticket required' } }
    return { scope: spaceUri ? { kind: 'space', spaceUri } : { kind: 'actor', actor: actor ?? '' }, did }
  }

  const watchRecords = (request: IncomingMessage, response: ServerResponse, url: URL, collection: string): void => {
    const resolved = watchScope(request, url, collection)
    if ('status' in resolved) return json(response, resolved.status, resolved.body)
    const { scope, did } = resolved
    const params = url.searchParams
    if (params.get('mode') === 'ws') {
      const sinceTs = Date.now()
      const snapshot = pipeline(collection, scope, params)
      const querySpec: QuerySpec = { collection, ...(scope.kind === 'space' ? { spaceUri: scope.spaceUri } : { actor: scope.actor }) }
      const topics = scope.kind === 'space' ? [`space:${scope.spaceUri}`] : [`actor:${scope.actor}`]
      const ticket = did === undefined ? undefined : sign(did, topics, querySpec)
      const wsUrl = new URL(url)
      wsUrl.searchParams.delete('mode')
      if (ticket) wsUrl.searchParams.set('ticket', ticket)
      wsUrl.searchParams.set('sinceTs', String(sinceTs))
      return json(response, 200, { transport: 'ws', snapshot, querySpec, ticket, ticketTtlMs: TICKET_TTL_MS, sinceTs, wsUrl: wsUrl.pathname + wsUrl.search })
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'access-control-allow-origin': '*' })
    const send = counted((kind, data) => void response.write(`event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`))
    const stream = streamer(collection, scope, params, send)
    send('snapshot.start', scope.kind === 'space' ? { spaceUri: scope.spaceUri, collection } : { actor: scope.actor, collection })
    const snapshot = pipeline(collection, scope, params)
    for (const record of snapshot.records) {
      stream.seeParent(record.uri)
      send('snapshot.record', { record })
    }
    send('snapshot.end', { cursor: snapshot.cursor })
    // Node runs the snapshot in one go: nothing can be published between it and this line.
    watchers.add(stream.live)
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), 15_000)
    request.on('close', () => {
      clearInterval(keepalive)
      watchers.delete(stream.live)
    })
  }

  const write = async (request: IncomingMessage, response: ServerResponse, kind: 'put' | 'delete'): Promise<void> => {
    const body = (await readJson(request)) as { spaceUri?: string; collection?: string; rkey?: string; record?: unknown } | null
    const did = bearer(request)
    if (!body?.spaceUri || !body.collection || (kind === 'put' ? !body.record : !body.rkey)) {
      return json(response, 400, { error: 'InvalidRequest', message: kind === 'put' ? 'spaceUri, collection, record required' : 'spaceUri, collection, rkey required' })
    }
    if (did === undefined) return json(response, 401, { error: 'AuthRequired' })
    const rkey = body.rkey ?? `r${randomUUID().replace(/-/g, '').slice(0, 12)}`
    const uri = `at://${did}/${body.collection}/${rkey}`
    const key = `${body.spaceUri} ${uri}`
    if (kind === 'delete') {
      const row = rows.get(key) ?? { uri, cid: null, value: null, did, collection: body.collection, rkey, time_us: 0, space: body.spaceUri }
      rows.delete(key)
      // Published whether or not the record existed: the delete is what the watchers hear of.
      publish({ ts: Date.now(), kind: 'record.deleted', row })
      return json(response, 200, { ok: true })
    }
    const now = Date.now()
    lastTimeUs = Math.max(lastTimeUs + 1, now * 1000)
    const row: ContrailRow = { uri, cid: null, value: body.record, did, collection: body.collection, rkey, time_us: lastTimeUs, space: body.spaceUri }
    rows.set(key, row)
    publish({ ts: now, kind: 'record.created', row })
    json(response, 200, { rkey, authorDid: did, createdAt: now })
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fixture')
    const method = url.pathname.startsWith('/xrpc/') ? url.pathname.slice(6) : ''
    const name = method.slice(method.lastIndexOf('.') + 1)
    const collection = method.slice(0, method.lastIndexOf('.'))
    if (request.method === 'GET' && name === 'watchRecords' && collection.startsWith(`${ns}.`)) return watchRecords(request, response, url, collection)
    if (request.method === 'GET' && name === 'listRecords' && collection.startsWith(`${ns}.`)) {
      const spaceUri = url.searchParams.get('spaceUri')
      if (!spaceUri) return json(response, 400, { error: 'InvalidRequest', message: 'spaceUri required' })
      return json(response, 200, pipeline(collection, { kind: 'space', spaceUri }, url.searchParams))
    }
    if (request.method === 'POST' && method === `${ns}.space.putRecord`) return void write(request, response, 'put')
    if (request.method === 'POST' && method === `${ns}.space.deleteRecord`) return void write(request, response, 'delete')
    if (request.method === 'POST' && method === `${ns}.realtime.ticket`) {
      return void readJson(request).then((body) => {
        const did = bearer(request)
        const topic = (body as { topic?: unknown } | null)?.topic
        if (did === undefined) return json(response, 401, { error: 'AuthRequired' })
        if (typeof topic !== 'string' || topic.length === 0) return json(response, 400, { error: 'InvalidRequest', message: 'topic required' })
        json(response, 200, { ticket: sign(did, [topic]), topics: [topic], expiresAt: Date.now() + TICKET_TTL_MS })
      })
    }
    json(response, 404, { error: 'MethodNotImplemented' })
  })

  const sockets = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://fixture')
    const method = url.pathname.slice(6)
    const collection = method.slice(0, method.lastIndexOf('.'))
    const resolved = watchScope(request, url, collection)
    if ('status' in resolved) {
      socket.end(`HTTP/1.1 ${resolved.status} Refused\r\ncontent-length: 0\r\n\r\n`)
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const stream = streamer(collection, resolved.scope, url.searchParams, counted((kind, data) => ws.send(JSON.stringify({ kind, data }))))
      for (const row of rows.values()) if (row.collection === collection) stream.seeParent(row.uri)
      const sinceTs = Number(url.searchParams.get('sinceTs') ?? 0)
      for (const event of recent) if (sinceTs > 0 && event.ts > sinceTs) stream.live(event)
      watchers.add(stream.live)
      ws.on('close', () => watchers.delete(stream.live))
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    namespace: ns,
    mintWatchTicket: (did, collection, spaceUri) => sign(did, [`space:${spaceUri}`], { collection, spaceUri }),
    get refusedRoomUri() {
      return refusedRoomUri
    },
    sent,
    close: async () => {
      for (const ws of sockets.clients) ws.terminate()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
