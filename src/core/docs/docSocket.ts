import type { Environment } from '../environment.js'
import { SyncError } from '../errors.js'
import { describeEndpoint, errorMessage, withQuery } from '../records/httpErrors.js'
import { createKeepaliveWatch } from '../keepaliveWatch.js'
import { createSilenceWatch, onPing } from '../silenceWatch.js'
import type { TapPoint } from '../eventTap.js'
import { createTransportLifecycle } from '../transportLifecycle.js'
import { closeError, releaseSocket } from '../socketClose.js'
import type { ClientMessage, ServerMessage } from './protocol.js'
import { HEARTBEAT_TYPE, PROTOCOL_VERSION, createMessageDecoder, encodeMessage, isVersionRefusal, serverErrorToSyncError } from './protocol.js'

const OPEN = 1

export interface DocSocketHandlers {
  /** The handshake is done: the server answered `join` with `peer` in protocol "1". */
  peer(serverPeerId: string): void
  /** Every later message, validated. */
  message(message: Exclude<ServerMessage, { type: 'peer' | 'error' | typeof HEARTBEAT_TYPE }>): void
  /** A frame that was skipped or a complaint from the server; the socket stays open. */
  problem(error: SyncError): void
  /** The socket is gone. `retry: false` for refusals that a retry cannot fix. */
  closed(error: SyncError, retry: boolean): void
}

export interface DocSocketOptions {
  url: string
  token: string | undefined
  /** A documents ticket, sent instead of the token when the server minted one. */
  ticket?: string | undefined
  peerId: string
  WebSocket: typeof WebSocket
  handlers: DocSocketHandlers
  /** No `peer` this long after opening counts as a failed attempt (retried). */
  handshakeTimeoutMs: number
  /**
   * Silence longer than this, once the server has shown it keeps the socket busy (a
   * `syncline-heartbeat`, or a ping where pings are visible), ends the socket (retried).
   * Heartbeats are asked for on `join`. Off when undefined.
   */
  heartbeatMs: number | undefined
  environment: Pick<Environment, 'setTimeout' | 'clearTimeout'>
  /** Told of every frame in and out (`client.onEvent`). */
  tap?: TapPoint | undefined
}

export interface DocSocket {
  /** Sends one message; false when the socket is not open. */
  send(message: ClientMessage): boolean
  decodeEphemeralData(data: Uint8Array): unknown
  close(): void
}

/**
 * One WebSocket to an automerge-repo sync server, from `join` to close. Works with the
 * browser WebSocket and with `ws` (Node): only the `on*` handler properties,
 * `binaryType`, `readyState`, `send` and `close` are used (and `ws`'s 'ping' event).
 *
 * A half-open path (bytes swallowed, nothing closed) is noticed only by silence, and only
 * against a server that shows it sends something regularly: syncline's server sends
 * `syncline-heartbeat` to clients that ask; a stock server only pings, which only Node sees.
 * Against a server that shows neither, a quiet socket is never taken for a dead one.
 */
export function openDocSocket(options: DocSocketOptions): DocSocket {
  const { handlers } = options
  const where = describeEndpoint(options.url)
  const decoder = createMessageDecoder()
  /** `ws` reports a refused upgrade as "Unexpected server response: 401"; browsers say nothing. */
  let upgradeStatus: number | undefined

  const credential = options.ticket !== undefined ? { ticket: options.ticket } : { token: options.token }
  const url = withQuery(options.url, credential)
  const ws = new options.WebSocket(url)
  ws.binaryType = 'arraybuffer'

  /** Ends once: by an error (reported with whether to retry) or quietly by `close()`. Open once `peer` arrives. */
  const life = createTransportLifecycle({ finished: (error, retry) => handlers.closed(error, retry) })
  const finish = (error: SyncError, retry: boolean): void => life.finish(error, retry)

  // A server can accept the socket and never answer `join` (a stock server whose storage
  // is still loading does exactly that): without this, the attempt would hang forever.
  const { environment } = options
  const handshake = createSilenceWatch(environment, (message) => finish(new SyncError('network', message), true))
  handshake.watch(options.handshakeTimeoutMs, `${where} did not answer the handshake within ${options.handshakeTimeoutMs} ms`)
  life.onRelease(handshake.stop)

  const { heartbeatMs } = options
  const keepalive = createKeepaliveWatch(life, {
    timers: environment,
    heartbeatMs,
    silentMessage: (ms) => `Nothing from ${where} for ${ms} ms; reconnecting`,
  })
  life.onRelease(() => releaseSocket(ws))
  onPing(ws, () => {
    keepalive.keepsBusy(undefined)
    keepalive.heard()
  })

  const send = (message: ClientMessage): boolean => {
    if (life.done || ws.readyState !== OPEN) return false
    try {
      const frame = encodeMessage(message)
      ws.send(frame)
      options.tap?.tap.emit?.('frame', options.tap, 'out', message.type, frame, message)
      return true
    } catch (error) {
      finish(new SyncError('network', `Sending to ${where} failed: ${errorMessage(error)}`, { cause: error }), true)
      return false
    }
  }

  ws.onopen = () => {
    const peerMetadata = heartbeatMs === undefined ? { isEphemeral: true as const } : { isEphemeral: true as const, synclineHeartbeat: true as const }
    send({ type: 'join', senderId: options.peerId, peerMetadata, supportedProtocolVersions: [PROTOCOL_VERSION] })
  }
  ws.onerror = (event) => {
    const match = /Unexpected server response: (\d{3})/.exec(String((event as { message?: unknown }).message ?? ''))
    if (match) upgradeStatus = Number(match[1])
  }
  ws.onclose = (event) => finish(closeError(event.code, event.reason, upgradeStatus, where), true)
  ws.onmessage = (event) => {
    if (life.done) return
    // Any frame, even one we cannot read, shows the path is alive.
    keepalive.heard()
    const message = decoder.decodeFrame(event.data)
    options.tap?.tap.emit?.('frame', options.tap, 'in', message instanceof SyncError ? 'malformed' : message.type, event.data, message)
    if (message instanceof SyncError) return handlers.problem(message)
    try {
      handle(message)
    } catch (error) {
      // Whatever a message makes go wrong downstream, the socket (and the page) carry on.
      handlers.problem(new SyncError('protocol', `Handling a "${message.type}" message failed: ${errorMessage(error)}`, { cause: error }))
    }
  }
  const handle = (message: ServerMessage): void => {
    switch (message.type) {
      case 'error': {
        const versionRefused = isVersionRefusal(message.message)
        const error = versionRefused
          ? new SyncError('protocol', `${where} does not speak automerge-repo protocol "${PROTOCOL_VERSION}" (it said: ${message.message}); syncline cannot talk to it`)
          : serverErrorToSyncError(message.message)
        // A version refusal would be refused again and an auth failure needs a new token:
        // neither is retried. A refused handshake is retried with backoff. After the
        // handshake, a complaint is only surfaced: the server closes if it means it.
        if (versionRefused || error.code !== 'protocol') return finish(error, false)
        if (!life.opened) return finish(error, true)
        return handlers.problem(error)
      }
      case 'peer':
        if (life.opened) return
        if (message.selectedProtocolVersion !== PROTOCOL_VERSION) {
          return finish(
            new SyncError('protocol', `${where} selected protocol version "${message.selectedProtocolVersion}"; syncline speaks only "${PROTOCOL_VERSION}"`),
            false,
          )
        }
        if (!life.open()) return
        handshake.stop()
        return handlers.peer(message.senderId)
      case HEARTBEAT_TYPE:
        keepalive.keepsBusy(message.intervalMs)
        return keepalive.heard()
      default:
        if (!life.opened) {
          return handlers.problem(new SyncError('protocol', `${where} sent "${message.type}" before answering the handshake`))
        }
        return handlers.message(message)
    }
  }

  return {
    send,
    decodeEphemeralData: (data) => decoder.decodeEphemeralData(data),
    close: life.close,
  }
}

