import { SyncError } from '../errors.js'
import { createKeepaliveWatch } from '../keepaliveWatch.js'
import { globalTimers, onPing } from '../silenceWatch.js'
import { createTransportLifecycle } from '../transportLifecycle.js'
import { closeError, releaseSocket } from '../socketClose.js'
import { describeEndpoint, errorMessage, watchResponseError, withQuery } from './httpErrors.js'
import { parseWatchEvent } from './parseWatchEvent.js'
import type { RecordTransport, RecordTransportOptions, WatchEvent } from './types.js'


/** What `GET <url>&mode=ws` answers (DESIGN §6), after validation. */
interface Handshake {
  records: readonly unknown[]
  cursor: string | null | undefined
  wsUrl: string
  ticket: string | undefined
  /** How often the server promises to say something on the socket; undefined when it does not say. */
  keepaliveMs: number | undefined
}

/**
 * watchRecords over WebSocket, in two steps: an HTTP GET returns the snapshot and a
 * watch-scoped ticket, then a socket to `wsUrl` carries the live `{ kind, data }` frames.
 * The store is `live` once that socket is open: the server holds live events from the
 * snapshot's time until then.
 *
 * Works with the browser WebSocket and with `ws` (Node): only the `on*` handler
 * properties, `binaryType`, `readyState` and `close()` are used (and `ws`'s 'ping' event).
 *
 * Dead paths: with `heartbeatMs`, the handshake and the socket's opening must finish within
 * it, and once the server shows it sends keepalives (handshake `keepaliveMs`, a `keepalive`
 * frame, a visible ping) silence past the window ends the connection as `'network'`. A server
 * that shows none is never timed out once open: quiet and dead look the same there.
 */
export const wsTransport: RecordTransport = <V>(options: RecordTransportOptions<V>) => {
  const { sink } = options
  const endpoint = describeEndpoint(options.url)
  const context = { collection: options.collection }
  const abort = new AbortController()
  let socket: WebSocket | null = null
  /** Ends once: by an error (reported to the sink) or quietly (closed by the caller or the signal). */
  const life = createTransportLifecycle({
    signal: options.signal,
    finished: (error, retry) => sink.closed(error, retry),
  })
  const { heartbeatMs } = options
  const keepalive = createKeepaliveWatch(life, {
    timers: options.timers ?? globalTimers,
    heartbeatMs,
    silentMessage: (ms) => `No data or keepalive from ${endpoint} for ${ms} ms; reconnecting`,
  })
  life.onRelease(() => {
    abort.abort()
    if (socket) releaseSocket(socket)
  })
  const finish = (error: SyncError, retry = true): void => life.finish(error, retry)

  /** Hands events on in order; a bad frame goes to `ignored` between the good ones around it. */
  const deliver = (events: WatchEvent<V>[], bad: SyncError | null = null): void => {
    if (events.length > 0 && !life.done) sink.events(events)
    if (bad && !life.done) sink.ignored(bad)
  }

  const run = async (): Promise<void> => {
    // Every sink call happens after transport() has returned its handle.
    await Promise.resolve()
    const WebSocketImpl = options.WebSocket ?? (globalThis.WebSocket as typeof WebSocket | undefined)
    if (!WebSocketImpl) {
      // It will not appear by retrying: stop, as the document connection does.
      return finish(new SyncError('bad-input', 'No WebSocket implementation: pass the WebSocket option (in Node 20, the "ws" package\'s WebSocket)'), false)
    }
    if (heartbeatMs !== undefined) keepalive.deadline(heartbeatMs, `${endpoint} did not complete the WebSocket handshake within ${heartbeatMs} ms`)

    const handshake = await fetchHandshake()
    if (handshake === null || life.done) return
    if (handshake.keepaliveMs !== undefined) keepalive.keepsBusy(handshake.keepaliveMs)
    let socketUrl: string
    try {
      socketUrl = resolveSocketUrl(handshake.wsUrl, options.url, handshake.ticket, options.allowedSocketOrigins ?? [])
    } catch (error) {
      return finish(new SyncError('protocol', `The handshake's wsUrl "${handshake.wsUrl}" is not a usable WebSocket URL: ${errorMessage(error)}`, { cause: error }))
    }

    if (life.open()) sink.opened()
    let batch: WatchEvent<V>[] = [{ kind: 'snapshot.start', data: {} }]
    for (const record of handshake.records) {
      const parsed = parseWatchEvent<V>('snapshot.record', { record }, context)
      if (parsed instanceof SyncError) {
        deliver(batch, parsed)
        batch = []
      } else if (parsed) {
        batch.push(parsed)
      }
    }
    deliver(batch)
    if (life.done) return

    let ws: WebSocket
    try {
      ws = new WebSocketImpl(socketUrl)
    } catch (error) {
      return finish(new SyncError('network', `Could not open ${describeEndpoint(socketUrl)}: ${errorMessage(error)}`, { cause: error }))
    }
    socket = ws
    ws.binaryType = 'arraybuffer'
    /** `ws` reports a refused upgrade as "Unexpected server response: 401"; browsers say nothing. */
    let upgradeStatus: number | undefined
    ws.onerror = (event) => {
      const match = /Unexpected server response: (\d{3})/.exec(String((event as { message?: unknown }).message ?? ''))
      if (match) upgradeStatus = Number(match[1])
    }
    onPing(ws, () => {
      keepalive.keepsBusy(undefined)
      keepalive.heard()
    })
    ws.onopen = () => {
      // The opening was in time; from now on only a server that keeps the socket busy is watched.
      if (keepalive.windowMs === null) keepalive.stop()
      else keepalive.heard()
      const end: WatchEvent<V> = handshake.cursor === undefined
        ? { kind: 'snapshot.end', data: {} }
        : { kind: 'snapshot.end', data: { cursor: handshake.cursor } }
      deliver([end])
      if (!life.done) sink.alive()
    }
    ws.onmessage = (event) => {
      if (life.done) return
      const parsed = parseFrame<V>(event.data, context)
      options.tap?.tap.emit?.('frame', options.tap, 'in', parsed instanceof SyncError ? 'malformed' : (parsed?.kind ?? 'keepalive'), event.data, event.data)
      if (parsed instanceof SyncError) deliver([], parsed)
      else if (parsed?.kind === 'keepalive') keepalive.keepsBusy(undefined)
      else if (parsed) deliver([parsed])
      keepalive.heard()
      if (!life.done) sink.alive()
    }
    ws.onclose = (event) => finish(closeError(event.code, event.reason, upgradeStatus, describeEndpoint(socketUrl)))
  }

  const fetchHandshake = async (): Promise<Handshake | null> => {
    let response: Response
    let text: string
    try {
      response = await options.fetch(withQuery(options.url, { mode: 'ws', ticket: options.ticket }), {
        headers: { accept: 'application/json' },
        signal: abort.signal,
        cache: 'no-store',
      })
      if (life.done) {
        response.body?.cancel().catch(() => {})
        return null
      }
      const failure = await watchResponseError(response, endpoint)
      if (failure) {
        finish(failure)
        return null
      }
      text = await response.text()
    } catch (error) {
      finish(new SyncError('network', `Could not get the WebSocket handshake from ${endpoint}: ${errorMessage(error)}`, { cause: error }))
      return null
    }
    const handshake = parseHandshake(text)
    if (typeof handshake === 'string') {
      finish(new SyncError('protocol', `${endpoint} answered the WebSocket handshake with ${handshake}`, { status: response.status }))
      return null
    }
    return handshake
  }

  life.run(run, (thrown) => new SyncError('network', `Record transport failed: ${errorMessage(thrown)}`, { cause: thrown }))
  return { close: life.close }
}

/** Returns the handshake, or what is wrong with it. */
function parseHandshake(text: string): Handshake | string {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return `something that is not JSON: ${JSON.stringify(text.slice(0, 80))}`
  }
  if (typeof body !== 'object' || body === null) return 'a JSON value that is not an object'
  const { transport, snapshot, wsUrl, ticket, keepaliveMs } = body as { transport?: unknown; snapshot?: unknown; wsUrl?: unknown; ticket?: unknown; keepaliveMs?: unknown }
  if (transport !== 'ws') return `transport ${JSON.stringify(transport)} instead of "ws"`
  if (typeof wsUrl !== 'string' || wsUrl.length === 0) return 'no "wsUrl"'
  if (typeof snapshot !== 'object' || snapshot === null) return 'no "snapshot" object'
  const { records, cursor } = snapshot as { records?: unknown; cursor?: unknown }
  if (!Array.isArray(records)) return 'no "snapshot.records" array'
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') return 'a "snapshot.cursor" that is not a string'
  if (ticket !== undefined && ticket !== null && typeof ticket !== 'string') return 'a "ticket" that is not a string'
  // An optional extension: a value that is not a positive number is ignored, not refused.
  const interval = typeof keepaliveMs === 'number' && Number.isFinite(keepaliveMs) && keepaliveMs > 0 ? keepaliveMs : undefined
  return { records, cursor, wsUrl, ticket: ticket ?? undefined, keepaliveMs: interval }
}

/**
 * `wsUrl` is relative to the endpoint, with http→ws and https→wss. The upgrade needs the
 * handshake's watch-scoped ticket: a server may put it into `wsUrl` itself; if it did not,
 * it is added as `?ticket=` (browsers cannot send headers on an upgrade). The ticket only
 * goes to the endpoint's own origin or to `allowedOrigins`, and never from https to `ws:`:
 * a handshake answer must not be able to send it elsewhere. Exported for tests.
 */
export function resolveSocketUrl(wsUrl: string, endpoint: string, ticket: string | undefined, allowedOrigins: readonly string[] = []): string {
  const url = toSocketScheme(new URL(wsUrl, endpoint))
  const own = toSocketScheme(new URL(endpoint))
  if (own.protocol === 'wss:' && url.protocol === 'ws:') throw new Error(`it downgrades the https endpoint to ${url.origin}`)
  const allowed = allowedOrigins.map((origin) => toSocketScheme(new URL(origin)).origin)
  if (url.origin !== own.origin && !allowed.includes(url.origin)) {
    throw new Error(`${url.origin} is not the endpoint's origin ${own.origin} (list it in allowedSocketOrigins to allow it)`)
  }
  url.hash = ''
  const resolved = url.toString()
  return ticket && !url.searchParams.has('ticket') ? withQuery(resolved, { ticket }) : resolved
}

function toSocketScheme(url: URL): URL {
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`unsupported scheme ${url.protocol}`)
  return url
}

/** One socket message: JSON `{ kind, data }`, as text (or UTF-8 bytes from lenient servers). */
function parseFrame<V>(data: unknown, context: { collection: string | undefined }): WatchEvent<V> | SyncError | null {
  let text: string
  if (typeof data === 'string') text = data
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) text = new TextDecoder().decode(data)
  else return new SyncError('protocol', 'A WebSocket frame that is neither text nor bytes')
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch (error) {
    return new SyncError('protocol', `Malformed JSON in a WebSocket frame: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`, { cause: error })
  }
  if (typeof frame !== 'object' || frame === null || typeof (frame as { kind?: unknown }).kind !== 'string') {
    return new SyncError('protocol', 'A WebSocket frame that is not a { kind, data } object')
  }
  const { kind, data: payload } = frame as { kind: string; data?: unknown }
  return parseWatchEvent<V>(kind, payload, context)
}

