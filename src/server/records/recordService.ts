import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import { releaseWhenClosed } from '../admission.js'
import type { Gatekeeper, RevokeRequest } from '../auth.js'
import type { OperationInfo, ServerEvents } from '../events.js'
import { CORS_HEADERS, HttpError, readJsonObject, sendJson } from '../http.js'
import type { RecordScope, StorageProvider, StoredRecord } from '../storage/types.js'
import type { SendBudget } from '../sendBudget.js'
import type { TicketSigner } from '../tickets.js'
import { DOCUMENTS_TOPIC, watchTopic } from '../tickets.js'
import { compareNewestFirst, contentId, newTid } from './recordIds.js'
import type { RecordHub, WatchFrame, Watcher } from './recordHub.js'
import { parseLimit, requireRecordDepth, requireRkey, requireRoom } from './validation.js'
import { WatchAccess } from './watchAccess.js'

export interface RecordServiceOptions {
  storage: StorageProvider
  hub: RecordHub
  gate: Gatekeeper
  tickets: TicketSigner
  wss: WebSocketServer
  events: ServerEvents
  ticketTtlMs: number
  keepaliveMs: number
  maxBodyBytes: number
  /** Objects and arrays a record value may nest; deeper gets a 400. */
  maxRecordDepth: number
  /** Takes a per-user and per-address connection slot for a watch, or throws 429; returns its release. */
  admit: (userId: string, request: IncomingMessage) => () => void
  /** Shared with the document sockets: past it, the watch holding the most unsent bytes is dropped. */
  sendBudget: SendBudget
  onError: (error: unknown) => void
}

const SNAPSHOT_LIMIT = { fallback: 100, max: 1000 }
const LIST_LIMIT = { fallback: 50, max: 1000 }

/** Sent on every watch socket each `keepaliveMs`: a sign of life a browser page can see. */
const KEEPALIVE_FRAME = JSON.stringify({ kind: 'keepalive' })

/** A watcher that falls this far behind is cut off; it reconnects and catches up by snapshot. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/**
 * The records half of the reference server: the XRPC methods of DESIGN §8 over one
 * `StorageProvider`, with live fan-out through the `RecordHub`.
 */
export class RecordService {
  readonly #o: RecordServiceOptions
  readonly #sockets = new Set<WebSocket>()
  /** Tickets and `authorize` for watches; the document socket takes documents tickets through it too. */
  readonly access: WatchAccess

  constructor(options: RecordServiceOptions) {
    this.#o = options
    this.access = new WatchAccess(options.gate, options.tickets, options.ticketTtlMs)
  }

  async handle(method: string, collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    op.room = url.searchParams.get('roomUri') ?? undefined
    const expected = method === 'putRecord' || method === 'deleteRecord' ? 'POST' : 'GET'
    if (req.method !== expected) throw new HttpError(405, 'MethodNotAllowed', `${method} takes ${expected}`, { allow: `${expected}, OPTIONS` })
    switch (method) {
      case 'watchRecords':
        return url.searchParams.get('mode') === 'ws' ? this.#wsHandshake(collection, req, res, url, op) : this.#watchSse(collection, req, res, url, op)
      case 'listRecords':
        return this.#list(collection, req, res, url, op)
      case 'putRecord':
        return this.#put(collection, req, res, url, op)
      case 'deleteRecord':
        return this.#delete(collection, req, res, url, op)
      default:
        throw new HttpError(404, 'MethodNotImplemented', `Unknown method ${collection}.${method}`)
    }
  }

  /**
   * `POST /xrpc/realtime.ticket` `{ collection, roomUri }` → `{ ticket, expiresAt }`, or
   * `{ scope: 'documents' }` for a ticket the document socket accepts instead of a token.
   */
  async mintTicket(req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo, assertCollection: (c: string) => void): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'realtime.ticket takes POST', { allow: 'POST, OPTIONS' })
    const body = await readJsonObject(req, this.#o.maxBodyBytes)
    if (body.scope === 'documents') {
      // Each document is authorized on the socket itself, as it is with a token.
      const identity = await this.#o.gate.identify(req, url, body.did)
      op.userId = identity.userId
      return sendJson(res, 200, this.access.mint(identity, { topics: [DOCUMENTS_TOPIC] }))
    }
    if (typeof body.collection !== 'string') throw new HttpError(400, 'InvalidRequest', 'collection is required')
    assertCollection(body.collection)
    const scope = { collection: body.collection, room: requireRoom(body.roomUri) }
    Object.assign(op, scope)
    const identity = await this.#o.gate.identify(req, url, body.did)
    op.userId = identity.userId
    await this.access.authorize('read', identity, scope)
    sendJson(res, 200, this.access.mint(identity, { topics: [watchTopic(scope.collection, scope.room)], querySpec: { collection: scope.collection, roomUri: scope.room } }))
  }

  /** A WebSocket upgrade on a watchRecords path: the second step of `mode=ws`, authorized again. */
  async upgrade(collection: string, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireRoom(url.searchParams.get('roomUri')) }
    op.room = scope.room
    if (url.searchParams.get('ticket') === null) throw new HttpError(401, 'AuthRequired', 'A watch socket needs the ticket from its mode=ws handshake')
    const { identity, ticket } = await this.access.caller(req, url, scope)
    op.userId = identity.userId
    releaseWhenClosed(socket, this.#o.admit(identity.userId, req))
    const clientId = (op.clientId = this.#o.events.newClientId())
    const sinceTs = ticket?.querySpec?.sinceTs
    this.#o.wss.handleUpgrade(req, socket, head, (ws) => this.#watchSocket(ws, scope, identity.userId, sinceTs, clientId, req.socket.remoteAddress))
  }

  /** Ends the matching watches of a user with `member.removed`; returns how many. */
  revoke({ userId, collection, room }: RevokeRequest): number {
    return this.#o.hub.removeWatchers(userId, (scope) => (collection === undefined || scope.collection === collection) && (room === undefined || scope.room === room))
  }

  /** Ends every stream and socket; the HTTP server closes separately. */
  close(): void {
    this.#o.hub.endAll()
    for (const ws of this.#sockets) ws.close(1001, 'server shutting down')
  }

  async #watchSse(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireRoom(url.searchParams.get('roomUri')) }
    const { identity } = await this.access.caller(req, url, scope)
    op.userId = identity.userId
    const limit = parseLimit(url.searchParams.get('limit'), SNAPSHOT_LIMIT.fallback, SNAPSHOT_LIMIT.max)
    const clientId = (op.clientId = this.#o.events.newClientId())
    releaseWhenClosed(res, this.#o.admit(identity.userId, req))

    res.writeHead(200, {
      ...CORS_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold events back.
      'x-accel-buffering': 'no',
    })
    res.flushHeaders()

    let open = true
    let endReason = 'client closed'
    // Destroyed, not ended: a reader that does not read would keep the buffer alive.
    const account = this.#o.sendBudget.open((reason) => {
      this.#o.onError(new Error(`SSE watcher ${clientId} dropped: ${reason}`))
      finish('too slow')
      res.destroy()
    })
    const write = (frame: WatchFrame): void => {
      if (!open) return
      const bytes = sseBytes(frame)
      account.write(bytes.byteLength, (done) => res.write(bytes, done))
      if (res.writableLength > MAX_BUFFERED_BYTES) finish('too far behind')
    }
    // Live events that arrive while the snapshot is being sent wait until it has ended (DESIGN §6).
    let held: WatchFrame[] | null = []
    const watcher: Watcher = {
      did: identity.userId,
      send: (frame) => (held ? held.push(frame) : write(frame)),
      end: (lastFrame) => {
        if (lastFrame) write(lastFrame)
        finish(lastFrame?.kind === 'member.removed' ? 'member removed' : 'server shutting down')
      },
    }
    const unwatch = this.#o.hub.watch(scope, watcher)
    const events = this.#o.events
    events.clientConnected({ userId: identity.userId, clientId, transport: 'sse', remoteAddress: req.socket.remoteAddress })
    const keepalive = setInterval(() => open && res.write(': keepalive\n\n'), this.#o.keepaliveMs)
    keepalive.unref()
    function finish(reason?: string): void {
      if (!open) return
      open = false
      if (reason) endReason = reason
      account.close()
      clearInterval(keepalive)
      unwatch()
      res.end()
      events.clientDisconnected({ userId: identity.userId, clientId, transport: 'sse', reason: endReason })
    }
    req.socket.once('close', () => finish())
    res.once('close', () => finish())

    write({ kind: 'snapshot.start', data: { collection, spaceUri: scope.room, actor: identity.userId } })
    try {
      const { records, cursor } = await this.#page(scope, limit, undefined)
      for (const record of records) write({ kind: 'snapshot.record', data: { record } })
      write({ kind: 'snapshot.end', data: cursor === undefined ? {} : { cursor } })
    } catch (error) {
      this.#o.onError(error)
      write({ kind: 'error', data: { message: 'The server could not read this collection' } })
      return finish('storage error')
    }
    const waiting = held
    held = null
    for (const frame of waiting) write(frame)
  }

  async #wsHandshake(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireRoom(url.searchParams.get('roomUri')) }
    const { identity, ticket: from } = await this.access.caller(req, url, scope)
    op.userId = identity.userId
    const limit = parseLimit(url.searchParams.get('limit'), SNAPSHOT_LIMIT.fallback, SNAPSHOT_LIMIT.max)
    // Taken before reading: anything published after it is replayed when the socket opens,
    // anything before it was stored before it was published, so the snapshot has it.
    const sinceTs = this.#o.hub.now()
    const snapshot = await this.#page(scope, limit, undefined)
    const { ticket, expiresAt } = this.access.mint(identity, { topics: [watchTopic(collection, scope.room)], querySpec: { collection, roomUri: scope.room, sinceTs } }, from)
    const ticketTtlMs = Math.max(0, expiresAt - Date.now())
    const wsUrl = `/xrpc/${collection}.watchRecords?${new URLSearchParams({ roomUri: scope.room, ticket })}`
    // keepaliveMs tells the client how often the socket will say something, so it can tell silence from quiet.
    sendJson(res, 200, { transport: 'ws', snapshot: { records: snapshot.records, cursor: snapshot.cursor ?? null }, ticket, ticketTtlMs, sinceTs, wsUrl, keepaliveMs: this.#o.keepaliveMs })
  }

  #watchSocket(ws: WebSocket, scope: RecordScope, did: string, sinceTs: number | undefined, clientId: string, remoteAddress: string | undefined): void {
    this.#sockets.add(ws)
    this.#o.events.clientConnected({ userId: did, clientId, transport: 'ws', remoteAddress })
    const account = this.#o.sendBudget.open((reason) => {
      this.#o.onError(new Error(`Watch socket ${clientId} dropped: ${reason}`))
      ws.close(1013, 'too slow: the server could not send fast enough; take a fresh snapshot')
      // The close frame waits behind what the reader is not reading: do not wait long.
      setTimeout(() => ws.terminate(), 1000).unref()
    })
    const send = (frame: WatchFrame): void => {
      if (ws.readyState !== ws.OPEN) return
      const bytes = wsBytes(frame)
      account.write(bytes.byteLength, (done) => ws.send(bytes, { binary: false }, done))
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.close(4409, 'too far behind; take a fresh snapshot')
    }
    const unwatch = this.#o.hub.watch(scope, {
      did,
      send,
      end: (lastFrame) => {
        if (lastFrame) send(lastFrame)
        ws.close(1000, lastFrame?.kind === 'member.removed' ? 'member removed' : 'server shutting down')
      },
    })
    // Same turn as watch(): nothing can be published in between, so no gap and no repeat.
    const missed = sinceTs === undefined ? [] : this.#o.hub.eventsSince(scope, sinceTs)
    if (missed === null) ws.close(4409, 'events since the handshake are no longer available; take a fresh snapshot')
    else for (const frame of missed) send(frame)

    // Server-side liveness: a peer that stops answering pings is dropped. Browsers cannot
    // see pings, so each tick also sends a keepalive frame the page can see (DESIGN §5).
    let answered = true
    ws.on('pong', () => (answered = true))
    const ping = setInterval(() => {
      if (!answered) return ws.close(4408, 'no answer to pings')
      answered = false
      ws.ping()
      if (ws.readyState === ws.OPEN) ws.send(KEEPALIVE_FRAME)
    }, this.#o.keepaliveMs)
    ping.unref()
    ws.on('message', () => {}) // Watch sockets are one-way; client frames are ignored.
    ws.on('error', (error) => this.#o.onError(error))
    ws.on('close', (code, reason) => {
      account.close()
      clearInterval(ping)
      unwatch()
      this.#sockets.delete(ws)
      this.#o.events.clientDisconnected({ userId: did, clientId, transport: 'ws', reason: reason.toString() || `closed with code ${code}` })
    })
  }

  async #list(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireRoom(url.searchParams.get('roomUri')) }
    op.userId = (await this.access.caller(req, url, scope)).identity.userId
    const limit = parseLimit(url.searchParams.get('limit'), LIST_LIMIT.fallback, LIST_LIMIT.max)
    const page = await this.#page(scope, limit, url.searchParams.get('cursor') ?? undefined)
    sendJson(res, 200, page.cursor === undefined ? { records: page.records } : page)
  }

  async #put(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const body = await readJsonObject(req, this.#o.maxBodyBytes)
    const scope = { collection, room: requireRoom(body.roomUri) }
    op.room = scope.room
    const identity = await this.#o.gate.identify(req, url, body.did)
    op.userId = identity.userId
    await this.access.authorize('write', identity, scope)
    const rkey = body.rkey === undefined || body.rkey === null ? newTid() : requireRkey(body.rkey)
    const { value } = body
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'InvalidRecord', 'value must be a JSON object')
    requireRecordDepth(value, this.#o.maxRecordDepth)
    const did = identity.userId
    const existing = await this.#o.storage.getRecord(scope, did, rkey)
    const record: StoredRecord = {
      uri: `at://${did}/${collection}/${rkey}`,
      did,
      rkey,
      collection,
      value,
      cid: contentId(value),
      time_us: this.#o.hub.now(),
      indexed_at: existing?.indexed_at ?? Date.now(),
    }
    // Durable first, then announced: a watcher never sees a record the server could lose.
    await this.#o.storage.putRecord(scope, record)
    this.#o.hub.publish(scope, { kind: 'record.created', data: { record } })
    sendJson(res, 200, { uri: record.uri, rkey, cid: record.cid })
  }

  async #delete(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const body = await readJsonObject(req, this.#o.maxBodyBytes)
    const scope = { collection, room: requireRoom(body.roomUri) }
    op.room = scope.room
    const identity = await this.#o.gate.identify(req, url, body.did)
    op.userId = identity.userId
    await this.access.authorize('write', identity, scope)
    const rkey = requireRkey(body.rkey)
    const did = identity.userId
    await this.#o.storage.deleteRecord(scope, did, rkey)
    // Announced even when nothing was stored: deletes are idempotent, and a client may hold
    // an optimistic entry for a record that never reached the server.
    this.#o.hub.publish(scope, { kind: 'record.deleted', data: { uri: `at://${did}/${collection}/${rkey}`, did, rkey } })
    sendJson(res, 200, {})
  }

  /** Newest first, `limit` at a time; the cursor names the last record of the page. */
  async #page(scope: RecordScope, limit: number, cursor: string | undefined): Promise<{ records: StoredRecord[]; cursor: string | undefined }> {
    const sorted = (await this.#o.storage.listRecords(scope)).sort(compareNewestFirst)
    let start = 0
    if (cursor !== undefined) {
      const after = decodeCursor(cursor)
      start = sorted.findIndex((record) => compareNewestFirst(record, after) > 0)
      if (start === -1) start = sorted.length
    }
    const records = sorted.slice(start, start + limit)
    const last = records.at(-1)
    return { records, cursor: last && start + limit < sorted.length ? encodeCursor(last) : undefined }
  }
}

// One event goes to every watcher of a room: encode it once per transport, not per watcher.
const sseEncoded = new WeakMap<WatchFrame, Buffer>()
const wsEncoded = new WeakMap<WatchFrame, Buffer>()

function sseBytes(frame: WatchFrame): Buffer {
  let bytes = sseEncoded.get(frame)
  if (bytes === undefined) sseEncoded.set(frame, (bytes = Buffer.from(`event: ${frame.kind}\ndata: ${JSON.stringify(frame.data)}\n\n`)))
  return bytes
}

/** Sent as a text frame: the bytes are the UTF-8 of the JSON. */
function wsBytes(frame: WatchFrame): Buffer {
  let bytes = wsEncoded.get(frame)
  if (bytes === undefined) wsEncoded.set(frame, (bytes = Buffer.from(JSON.stringify(frame))))
  return bytes
}

const encodeCursor = ({ time_us, rkey, did }: StoredRecord): string => Buffer.from(JSON.stringify([time_us, rkey, did])).toString('base64url')

function decodeCursor(cursor: string): { time_us: number; rkey: string; did: string } {
  try {
    const [time_us, rkey, did] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof time_us === 'number' && typeof rkey === 'string' && typeof did === 'string') return { time_us, rkey, did }
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(400, 'InvalidCursor', 'cursor is not one this server issued')
}
