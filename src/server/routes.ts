import type { IncomingMessage, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { OperationInfo, ServerEvents } from './events.js'
import { requestStatus } from './events.js'
import { HttpError, preflightHeaders, sendError, sendJson } from './http.js'
import type { DocumentsHalf } from './lazyDocuments.js'
import type { RecordHub } from './records/recordHub.js'
import type { RecordService } from './records/recordService.js'
import { splitXrpcMethod } from '../wire/watchRecords.js'
import { assertCollection } from './records/validation.js'
import type { RateLimiter } from './tokenBucket.js'

const XRPC = /^\/xrpc\/([^/]+)$/

export interface RoutesOptions {
  records: RecordService
  documents: DocumentsHalf
  hub: RecordHub
  events: ServerEvents
  /** HTTP requests per address. */
  requestLimiter: RateLimiter
  /** Document sockets and record watches together. */
  maxConnections: number
  onError: (error: unknown) => void
}

/**
 * Where each request goes: `/` and `/health` answer health, `/xrpc/<method>` goes to the
 * records half, a WebSocket upgrade on `/` to the documents half and one on a watchRecords
 * path to the records half. Every operation ends in one wide event.
 */
export function createRoutes({ records, documents, hub, events, requestLimiter, maxConnections, onError }: RoutesOptions): {
  request(req: IncomingMessage, res: ServerResponse): void
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
} {
  const route = async (req: IncomingMessage, res: ServerResponse, op: OperationInfo): Promise<void> => {
    const url = requestUrl(req)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflightHeaders(req))
      return void res.end()
    }
    if (url.pathname === '/health' || url.pathname === '/') {
      return sendJson(res, 200, { ok: true, name: 'syncline', watchers: hub.watcherCount, peers: documents.peerCount })
    }
    const method = XRPC.exec(url.pathname)?.[1]
    if (!method) throw new HttpError(404, 'NotFound', `Nothing at ${url.pathname}`)
    op.type = method
    if (!requestLimiter.take(req.socket.remoteAddress ?? '')) {
      throw new HttpError(429, 'RateLimited', 'Too many requests from this address; retry in a second', { 'retry-after': '1' })
    }
    if (method.endsWith('.watchRecords') && url.searchParams.get('mode') !== 'ws') assertConnectionRoom()
    // Contrail names it under its namespace (`<ns>.realtime.ticket`); both reach the same method.
    if (method === 'realtime.ticket' || method.endsWith('.realtime.ticket')) return records.mintTicket(req, res, url, op, assertCollection)
    const { collection, name } = splitMethod(method)
    Object.assign(op, { type: name, collection })
    return records.handle(name, collection, req, res, url, op)
  }

  /** Emits the operation's wide event; health checks and preflights are not operations. */
  const report = (op: OperationInfo, req: IncomingMessage, started: number, httpStatus: number): void => {
    if (op.type === undefined) return
    events.syncRequest({
      userId: op.userId,
      ...(op.clientId !== undefined && { clientId: op.clientId }),
      type: op.type,
      ...(op.collection !== undefined && { collection: op.collection }),
      ...(op.room !== undefined && { room: op.room }),
      status: requestStatus(httpStatus),
      httpStatus,
      durationMs: performance.now() - started,
      bytes: Number(req.headers['content-length']) || 0,
    })
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const started = performance.now()
    const op: OperationInfo = {}
    try {
      const url = requestUrl(req)
      assertConnectionRoom()
      if (url.pathname === '/') return void documents.upgrade(req, socket, head, url, op).then(() => report(op, req, started, 101), refuse)
      const method = XRPC.exec(url.pathname)?.[1]
      if (!method) throw new HttpError(404, 'NotFound', `No WebSocket endpoint at ${url.pathname}`)
      const { collection, name } = splitMethod(method)
      Object.assign(op, { type: `${name}.socket`, collection })
      if (name !== 'watchRecords') throw new HttpError(404, 'NotFound', `${method} does not take WebSockets`)
      records.upgrade(collection, req, socket, head, url, op).then(() => report(op, req, started, 101), refuse)
    } catch (error) {
      refuse(error)
    }
    function refuse(error: unknown): void {
      if (!(error instanceof HttpError)) onError(error)
      const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalServerError', 'Upgrade failed')
      refuseUpgrade(socket, failure)
      report(op, req, started, failure.status)
    }
  }

  /** Long-lived connections are what exhaust a server: refuse one more past the limit. */
  const assertConnectionRoom = (): void => {
    if (documents.connectionCount + hub.watcherCount >= maxConnections) {
      throw new HttpError(503, 'TooManyConnections', `The server is at its limit of ${maxConnections} connections; retry later`, { 'retry-after': '5' })
    }
  }

  return {
    request(req, res) {
      const started = performance.now()
      const op: OperationInfo = {}
      route(req, res, op).then(
        () => report(op, req, started, res.statusCode),
        (error: unknown) => {
          const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalServerError', 'The server failed to answer this request')
          if (failure !== error) onError(error)
          sendError(res, failure)
          report(op, req, started, failure.status)
        },
      )
    },
    upgrade,
  }
}

function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost')
  } catch {
    throw new HttpError(400, 'InvalidRequest', 'Malformed request URL')
  }
}

/** `com.example.message.watchRecords` → collection `com.example.message`, method `watchRecords`. */
function splitMethod(method: string): { collection: string; name: string } {
  const split = splitXrpcMethod(method)
  assertCollection(split.collection)
  return split
}

function refuseUpgrade(socket: Duplex, error: HttpError): void {
  if (!socket.writable) return void socket.destroy()
  const body = JSON.stringify({ error: error.error, message: error.message })
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      'connection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}
