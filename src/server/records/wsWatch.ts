import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { releaseWhenClosed } from '../admission.js'
import type { OperationInfo } from '../events.js'
import { HttpError, sendJson } from '../http.js'
import type { RecordScope } from '../storage/types.js'
import type { TicketPayload } from '../tickets.js'
import { toWebSocketUrl } from '../publicOrigin.js'
import { watchTopic } from '../tickets.js'
import type { RecordContext } from './recordContext.js'
import { MAX_BUFFERED_BYTES } from './recordContext.js'
import type { WatchFrame } from './recordHub.js'
import { pageRecords } from './paging.js'
import { requireQueryRoom } from './validation.js'
import { isForAuthor, parseWatchQuery } from './watchQuery.js'
import { CLOSE_GOING_AWAY, CLOSE_NO_PONG, CLOSE_RESNAPSHOT, CLOSE_TRY_AGAIN_LATER } from '../../wire/closeCodes.js'

/** Sent on every watch socket each `keepaliveMs`: a sign of life a browser page can see. */
const KEEPALIVE_FRAME = JSON.stringify({ kind: 'keepalive' })

/**
 * watchRecords over a WebSocket, in two steps: an HTTP handshake (`mode=ws`) answers with the
 * snapshot and a ticket; the upgrade with that ticket opens the socket, which replays what
 * was published since the snapshot and then carries live events.
 */
export class WatchSockets {
  readonly #context: RecordContext
  readonly #sockets = new Set<WebSocket>()

  constructor(context: RecordContext) {
    this.#context = context
  }

  async handshake(collection: string, req: IncomingMessage, res: ServerResponse, url: URL, op: OperationInfo): Promise<void> {
    const { scope, limit, cursor, author } = parseWatchQuery(collection, url)
    const { identity, ticket: from } = await this.#context.access.caller(req, url, scope)
    op.userId = identity.userId
    // Taken before reading: anything published after it is replayed when the socket opens,
    // anything before it was stored before it was published, so the snapshot has it.
    const sinceTs = this.#context.hub.now()
    const snapshot = await pageRecords(this.#context.storage, scope, limit, cursor, author)
    // The socket narrows to the author the ticket names, so it streams what this snapshot showed.
    const querySpec = { collection, roomUri: scope.room, sinceTs, ...(author !== undefined && { actor: author }) }
    const { ticket, expiresAt } = this.#context.access.mint(identity, { topics: [watchTopic(collection, scope.room)], querySpec }, from)
    const ticketTtlMs = Math.max(0, expiresAt - Date.now())
    // Absolute: contrail's client resolves it against the page's origin, not the endpoint's.
    const wsUrl = toWebSocketUrl(new URL(`xrpc/${collection}.watchRecords?${new URLSearchParams({ roomUri: scope.room, ticket })}`, this.#context.publicOrigin(req))).toString()
    // keepaliveMs tells the client how often the socket will say something, so it can tell silence from quiet.
    sendJson(res, 200, { transport: 'ws', snapshot: { records: snapshot.records, cursor: snapshot.cursor ?? null }, ticket, ticketTtlMs, sinceTs, wsUrl, keepaliveMs: this.#context.keepaliveMs })
  }

  #watch(ws: WebSocket, scope: RecordScope, did: string, ticket: TicketPayload | undefined, clientId: string, remoteAddress: string | undefined): void {
    const sinceTs = ticket?.querySpec?.sinceTs
    const author = ticket?.querySpec?.actor
    this.#sockets.add(ws)
    this.#context.events.clientConnected({ userId: did, clientId, transport: 'ws', remoteAddress })
    const account = this.#context.sendBudget.open((reason) => {
      this.#context.onError(new Error(`Watch socket ${clientId} dropped: ${reason}`))
      ws.close(CLOSE_TRY_AGAIN_LATER, 'too slow: the server could not send fast enough; take a fresh snapshot')
      // The close frame waits behind what the reader is not reading: do not wait long.
      setTimeout(() => ws.terminate(), 1000).unref()
    })
    const send = (frame: WatchFrame): void => {
      if (ws.readyState !== ws.OPEN || !isForAuthor(frame, author)) return
      const bytes = wsBytes(frame)
      account.write(bytes.byteLength, (done) => ws.send(bytes, { binary: false }, done))
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.close(CLOSE_RESNAPSHOT, 'too far behind; take a fresh snapshot')
    }
    const unwatch = this.#context.hub.watch(scope, {
      did,
      send,
      end: (lastFrame) => {
        if (lastFrame) send(lastFrame)
        ws.close(1000, lastFrame?.kind === 'member.removed' ? 'member removed' : 'server shutting down')
      },
    })
    // Same turn as watch(): nothing can be published in between, so no gap and no repeat.
    const missed = sinceTs === undefined ? [] : this.#context.hub.eventsSince(scope, sinceTs)
    if (missed === null) ws.close(CLOSE_RESNAPSHOT, 'events since the handshake are no longer available; take a fresh snapshot')
    else for (const frame of missed) send(frame)

    // Server-side liveness: a peer that stops answering pings is dropped. Browsers cannot
    // see pings, so each tick also sends a keepalive frame the page can see (DESIGN §5).
    let answered = true
    ws.on('pong', () => (answered = true))
    const ping = setInterval(() => {
      if (!answered) return ws.close(CLOSE_NO_PONG, 'no answer to pings')
      answered = false
      ws.ping()
      if (ws.readyState === ws.OPEN) ws.send(KEEPALIVE_FRAME)
    }, this.#context.keepaliveMs)
    ping.unref()
    ws.on('message', () => {}) // Watch sockets are one-way; client frames are ignored.
    ws.on('error', (error) => this.#context.onError(error))
    ws.on('close', (code, reason) => {
      account.close()
      clearInterval(ping)
      unwatch()
      this.#sockets.delete(ws)
      this.#context.events.clientDisconnected({ userId: did, clientId, transport: 'ws', reason: reason.toString() || `closed with code ${code}` })
    })
  }

  /** A WebSocket upgrade on a watchRecords path: the second step of `mode=ws`, authorized again. */
  async upgrade(collection: string, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo): Promise<void> {
    const scope = { collection, room: requireQueryRoom(url) }
    op.room = scope.room
    if (url.searchParams.get('ticket') === null) throw new HttpError(401, 'AuthRequired', 'A watch socket needs the ticket from its mode=ws handshake')
    const { identity, ticket } = await this.#context.access.caller(req, url, scope)
    op.userId = identity.userId
    releaseWhenClosed(socket, this.#context.admit(identity.userId, req))
    const clientId = (op.clientId = this.#context.events.newClientId())
    await this.#context.wss.handleUpgrade(req, socket, head, (ws) => this.#watch(ws, scope, identity.userId, ticket, clientId, req.socket.remoteAddress))
  }

  /** Ends every watch socket. */
  close(): void {
    for (const ws of this.#sockets) ws.close(CLOSE_GOING_AWAY, 'server shutting down')
  }
}

// One event goes to every watcher of a room: encode it once, not per watcher.
const wsEncoded = new WeakMap<WatchFrame, Buffer>()

/** Sent as a text frame: the bytes are the UTF-8 of the JSON. */
function wsBytes(frame: WatchFrame): Buffer {
  let bytes = wsEncoded.get(frame)
  if (bytes === undefined) wsEncoded.set(frame, (bytes = Buffer.from(JSON.stringify(frame))))
  return bytes
}
