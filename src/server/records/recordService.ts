import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RevokeRequest } from '../auth.js'
import type { OperationInfo } from '../events.js'
import { HttpError, readJsonObject, sendJson } from '../http.js'
import type { StoredRecord } from '../storage/types.js'
import { pageRecords, LIST_LIMIT } from './paging.js'
import type { RecordContext, RecordServiceOptions } from './recordContext.js'
import { contentId, newTid } from './recordIds.js'
import { watchSse } from './sseWatch.js'
import { mintTicketFor } from './ticketRequest.js'
import { optionalAuthor, parseLimit, requireQueryRoom, requireRecordDepth, requireRkey, requireRoomOf } from './validation.js'
import { WatchAccess } from './watchAccess.js'
import { WatchSockets } from './wsWatch.js'

export type { RecordServiceOptions } from './recordContext.js'
export type { OperationInfo } from '../events.js'

/**
 * The records half of the reference server: the XRPC methods of DESIGN §8 over one
 * `StorageProvider`, with live fan-out through the `RecordHub`.
 */
export class RecordService {
  readonly #o: RecordServiceOptions
  readonly #context: RecordContext
  readonly #sockets: WatchSockets
  /** Tickets and `authorize` for watches; the document socket takes documents tickets through it too. */
  readonly access: WatchAccess

  constructor(options: RecordServiceOptions) {
    this.#o = options
    this.access = new WatchAccess(options.gate, options.tickets, options.ticketTtlMs)
    this.#context = { ...options, access: this.access }
    this.#sockets = new WatchSockets(this.#context)
  }

  async handle(method: string, collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    op.room = url.searchParams.get('roomUri') ?? url.searchParams.get('spaceUri') ?? undefined
    const expected = method === 'putRecord' || method === 'deleteRecord' ? 'POST' : 'GET'
    if (req.method !== expected) throw new HttpError(405, 'MethodNotAllowed', `${method} takes ${expected}`, { allow: `${expected}, OPTIONS` })
    switch (method) {
      case 'watchRecords':
        return url.searchParams.get('mode') === 'ws' ? this.#sockets.handshake(collection, req, res, url, op) : watchSse(this.#context, collection, req, res, url, op)
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

  /** `POST /xrpc/realtime.ticket`: see `mintTicketFor`. */
  async mintTicket(req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo, assertCollection: (c: string) => void): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'realtime.ticket takes POST', { allow: 'POST, OPTIONS' })
    const body = await readJsonObject(req, this.#o.maxBodyBytes)
    sendJson(res, 200, await mintTicketFor(body, { gate: this.#o.gate, access: this.access, req, url, op, assertCollection }))
  }

  /** A WebSocket upgrade on a watchRecords path: the second step of `mode=ws`, authorized again. */
  upgrade(collection: string, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo): Promise<void> {
    return this.#sockets.upgrade(collection, req, socket, head, url, op)
  }

  /** Ends the matching watches of a user with `member.removed`; returns how many. */
  revoke({ userId, collection, room }: RevokeRequest): number {
    return this.#o.hub.removeWatchers(userId, (scope) => (collection === undefined || scope.collection === collection) && (room === undefined || scope.room === room))
  }

  /** Ends every stream and socket; the HTTP server closes separately. */
  close(): void {
    this.#o.hub.endAll()
    this.#sockets.close()
  }

  async #list(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireQueryRoom(url) }
    op.userId = (await this.access.caller(req, url, scope)).identity.userId
    const limit = parseLimit(url.searchParams.get('limit'), LIST_LIMIT.fallback, LIST_LIMIT.max)
    const page = await pageRecords(this.#o.storage, scope, limit, url.searchParams.get('cursor') ?? undefined, optionalAuthor(url))
    sendJson(res, 200, page.cursor === undefined ? { records: page.records } : page)
  }

  /** The write's body, room and caller, once the caller may write there (both write methods start so). */
  async #authorizeWrite(collection: string, req: IncomingMessage, url: URL, op: OperationInfo) {
    const body = await readJsonObject(req, this.#o.maxBodyBytes)
    const scope = { collection, room: requireRoomOf(body) }
    op.room = scope.room
    const identity = await this.#o.gate.identify(req, url, body.did)
    op.userId = identity.userId
    await this.access.authorize('write', identity, scope)
    return { body, scope, identity }
  }

  async #put(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const { body, scope, identity } = await this.#authorizeWrite(collection, req, url, op)
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
    const { body, scope, identity } = await this.#authorizeWrite(collection, req, url, op)
    const rkey = requireRkey(body.rkey)
    const did = identity.userId
    await this.#o.storage.deleteRecord(scope, did, rkey)
    // Announced even when nothing was stored: deletes are idempotent, and a client may hold
    // an optimistic entry for a record that never reached the server.
    this.#o.hub.publish(scope, { kind: 'record.deleted', data: { uri: `at://${did}/${collection}/${rkey}`, did, rkey } })
    sendJson(res, 200, {})
  }
}
