import type { IncomingMessage } from 'node:http'
import type { RawData, WebSocket } from 'ws'
import type { ClientMessage, DocumentMessage, ServerMessage } from './protocol.js'
import { createFrameDecoder, encodeMessage, HEARTBEAT_TYPE, PROTOCOL_VERSION, ProtocolError } from './protocol.js'
import type { PeerLink } from './documentTypes.js'
import type { SendAccount, SendBudget } from '../sendBudget.js'
import { CLOSE_IDLE, CLOSE_INTERNAL_ERROR, CLOSE_POLICY, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, CLOSE_TRY_AGAIN_LATER } from '../../wire/closeCodes.js'
import { EphemeralLimit } from './ephemeralLimit.js'
import { TokenBucket } from '../tokenBucket.js'

export interface PeerConnectionOptions {
  serverPeerId: string
  maxMessageBytes: number
  /** Unsent bytes a peer may have queued before it is dropped as too slow. */
  maxBufferedBytes: number
  reportError: (error: unknown) => void
  /** Why this `join` must be refused (with an `error` and a close), or undefined to accept it. */
  refuseJoin?: (peer: PeerConnection, senderId: string) => string | undefined
  /** The handshake succeeded (again, on a repeated `join`: sync states start over). */
  onJoin: (peer: PeerConnection) => void
  onMessage: (peer: PeerConnection, message: DocumentMessage) => void
  /** Called once, when the socket has closed. */
  onClose: (peer: PeerConnection) => void
  /** Closes a connection that has sent nothing for this long; 0 never does. */
  idleTimeoutMs: number
  /** Messages per second a connection may send on average, and in one burst; 0 for no limit. */
  messagesPerSecond: number
  messageBurst: number
  /** How often a peer that asked for heartbeats gets one (the first right after `peer`); 0 never. */
  keepaliveMs: number
  /** Largest `ephemeral` frame relayed (bigger ones get an `error` and are dropped), and the byte rate; 0 for no limit. */
  maxEphemeralBytes: number
  ephemeralBytesPerSecond: number
  /** Shared by every connection of the server: past it, the slowest reader is dropped (1013). */
  sendBudget?: SendBudget | undefined
}

/** ws's readyState for an open socket (the static on the class is not importable as a type-only name). */
const OPEN = 1

/** How long a dropped slow reader gets to take its close frame before its socket is destroyed. */
const DROP_GRACE_MS = 1000

/**
 * One WebSocket, from the `join` handshake to its close. It turns frames into checked
 * messages and hands document messages on; it never lets a bad frame throw.
 */
export class PeerConnection implements PeerLink {
  readonly request: IncomingMessage
  readonly #socket: WebSocket
  readonly #options: PeerConnectionOptions
  readonly #decode = createFrameDecoder()
  #peerId: string | undefined
  /** Set when the server starts closing, so no further frame is acted on. */
  #closing = false
  #closed = false
  /** Cleared on every ping, set by the pong: a peer that misses one ping is gone. */
  alive = true
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined
  /** The message rate limit: one token per message. */
  readonly #messageTokens: TokenBucket
  readonly #ephemeral: EphemeralLimit
  readonly #sendAccount: SendAccount | undefined

  constructor(socket: WebSocket, request: IncomingMessage, options: PeerConnectionOptions) {
    this.#socket = socket
    this.request = request
    this.#options = options
    this.#messageTokens = new TokenBucket(options.messagesPerSecond, options.messageBurst)
    this.#ephemeral = new EphemeralLimit(options.maxEphemeralBytes, options.ephemeralBytesPerSecond)
    this.#sendAccount = options.sendBudget?.open((reason) => this.#dropSlow(reason))
    this.#armIdleTimer()
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data, isBinary) => {
      try {
        this.#receive(data, isBinary)
      } catch (error) {
        // The last line of defence: nothing a peer sends may throw out of a socket listener.
        options.reportError(error)
        this.close(CLOSE_INTERNAL_ERROR, 'internal error')
      }
    })
    socket.on('pong', () => {
      this.alive = true
    })
    // ws reports broken frames here before closing; without a listener it would crash the process.
    socket.on('error', (error) => options.reportError(error))
    socket.once('close', () => {
      this.#closed = true
      this.#sendAccount?.close()
      if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
      if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer)
      options.onClose(this)
    })
    if (socket.readyState !== OPEN) {
      this.#closed = true
      this.#sendAccount?.close()
      queueMicrotask(() => options.onClose(this))
    }
  }

  /** The peer's id once it has joined, '' before. */
  get peerId(): string {
    return this.#peerId ?? ''
  }

  get joined(): boolean {
    return this.#peerId !== undefined
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Joined and neither closed nor closing. */
  get active(): boolean {
    return this.#peerId !== undefined && !this.#closing && !this.#closed
  }

  send(message: ServerMessage): void {
    if (this.#closed || this.#socket.readyState !== OPEN) return
    // A peer that reads slower than others write would grow this buffer without bound.
    // Checked before sending, so one large message (a whole document) always goes out.
    if (this.#socket.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#options.reportError(new ProtocolError(`Peer ${this.peerId} is not reading; dropping its connection`, this.#peerId))
      this.terminate()
      return
    }
    const frame = encodeMessage(message)
    if (this.#sendAccount) this.#sendAccount.write(frame.byteLength, (done) => this.#socket.send(frame, done))
    else this.#socket.send(frame)
  }

  sendError(message: string, targetId = this.#peerId): void {
    this.send({
      type: 'error',
      senderId: this.#options.serverPeerId,
      message,
      ...(targetId === undefined ? {} : { targetId }),
    })
  }

  close(code: number, reason: string): void {
    if (this.#closing || this.#closed) return
    this.#closing = true
    this.#socket.close(code, closeReason(reason))
  }

  /** Drops a peer that stopped answering pings, without waiting for a closing handshake. */
  terminate(): void {
    this.#socket.terminate()
  }

  /** Closes a reader the send budget gave up on, and destroys its socket if the close frame cannot get through. */
  #dropSlow(reason: string): void {
    this.#options.reportError(new ProtocolError(`Peer ${this.peerId} dropped: ${reason}`, this.#peerId))
    this.close(CLOSE_TRY_AGAIN_LATER, 'too slow: the server could not send fast enough; reconnect')
    setTimeout(() => this.terminate(), DROP_GRACE_MS).unref()
  }

  ping(): void {
    if (!this.#closed) this.#socket.ping()
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (this.#closing || this.#closed) return
    this.#armIdleTimer()
    if (!this.#messageTokens.take()) {
      this.#refuse(new ProtocolError(`More than ${this.#options.messagesPerSecond} messages per second: slow down and reconnect`, this.#peerId), CLOSE_POLICY)
      return
    }
    const frame = toBytes(data)
    if (frame.byteLength > this.#options.maxMessageBytes) {
      this.#refuse(
        new ProtocolError(`A frame of ${frame.byteLength} bytes is over the limit of ${this.#options.maxMessageBytes} bytes`),
        CLOSE_TOO_BIG,
      )
      return
    }
    let message: ClientMessage
    try {
      if (!isBinary) throw new ProtocolError('Frames must be binary CBOR, not text')
      message = this.#decode(frame)
    } catch (error) {
      // Before the handshake nothing about the peer is known, so a bad frame ends the connection.
      this.#refuse(error, this.joined ? undefined : CLOSE_PROTOCOL_ERROR)
      return
    }
    if (message.type === 'join') {
      this.#join(message.senderId, message.supportedProtocolVersions)
      if (message.wantsHeartbeat && this.joined) this.#startHeartbeat()
      return
    }
    if (!this.joined) {
      this.#refuse(new ProtocolError(`"${message.type}" before "join": send a "join" message first`), CLOSE_PROTOCOL_ERROR)
      return
    }
    if (message.senderId !== this.#peerId) {
      this.#refuse(new ProtocolError(`"senderId" ${message.senderId} is not this connection's peer id ${this.peerId}`))
      return
    }
    if (message.type === 'ignored') return
    if (message.type === 'ephemeral' && !this.#ephemeralAllowed(frame.byteLength)) return
    try {
      this.#options.onMessage(this, message)
    } catch (error) {
      // A bug or an input nobody foresaw must cost this message, never the process.
      this.#refuse(new ProtocolError(`The server could not handle this "${message.type}" message`, this.#peerId), undefined, error)
    }
  }

  #join(senderId: string, versions: readonly string[]): void {
    if (this.#peerId !== undefined && this.#peerId !== senderId) {
      this.#refuse(new ProtocolError('A connection cannot change its peer id: open a new connection'), CLOSE_POLICY)
      return
    }
    if (!versions.includes(PROTOCOL_VERSION)) {
      const listed = versions.slice(0, 8).map((v) => JSON.stringify(v.slice(0, 16)))
      this.#refuse(
        new ProtocolError(`Unsupported protocol versions [${listed.join(', ')}]: this server speaks "${PROTOCOL_VERSION}"`, senderId),
        CLOSE_PROTOCOL_ERROR,
      )
      return
    }
    const refusal = this.#options.refuseJoin?.(this, senderId)
    if (refusal !== undefined) {
      this.#refuse(new ProtocolError(refusal, senderId), CLOSE_POLICY)
      return
    }
    this.#peerId = senderId
    this.send({
      type: 'peer',
      senderId: this.#options.serverPeerId,
      peerMetadata: { isEphemeral: false },
      selectedProtocolVersion: PROTOCOL_VERSION,
      targetId: senderId,
    })
    this.#options.onJoin(this)
  }

  /** Heartbeats until the socket closes; a repeated `join` keeps the running timer. */
  #startHeartbeat(): void {
    const { keepaliveMs, serverPeerId } = this.#options
    if (keepaliveMs <= 0) return
    const beat = (): void => {
      if (this.active) this.send({ type: HEARTBEAT_TYPE, senderId: serverPeerId, targetId: this.peerId, intervalMs: keepaliveMs })
    }
    // At once too: the client starts watching for silence when it sees the first one.
    beat()
    if (this.#heartbeatTimer !== undefined || this.#closed) return
    this.#heartbeatTimer = setInterval(beat, keepaliveMs)
    this.#heartbeatTimer.unref()
  }

  /** Too big: an `error`, not relayed, the connection stays. Too fast: an `error` and close 1008. */
  #ephemeralAllowed(bytes: number): boolean {
    const verdict = this.#ephemeral.check(bytes)
    if (verdict === 'too-big') {
      this.#refuse(new ProtocolError(`An "ephemeral" message of ${bytes} bytes is over the limit of ${this.#ephemeral.maxBytes} bytes; it was not relayed`, this.#peerId))
    } else if (verdict === 'too-fast') {
      this.#refuse(new ProtocolError(`"ephemeral" messages over ${this.#ephemeral.bytesPerSecond} bytes per second: slow down and reconnect`, this.#peerId), CLOSE_POLICY)
    }
    return verdict === 'ok'
  }

  #armIdleTimer(): void {
    const { idleTimeoutMs } = this.#options
    if (idleTimeoutMs <= 0) return
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => this.close(CLOSE_IDLE, `idle for ${idleTimeoutMs} ms`), idleTimeoutMs)
    this.#idleTimer.unref()
  }

  /** Tells the peer what was wrong, reports it (or its `cause`), and closes when `closeCode` is given. */
  #refuse(error: unknown, closeCode?: number, cause: unknown = error): void {
    const message = error instanceof ProtocolError ? error.message : 'Internal error'
    try {
      this.sendError(message, this.#peerId ?? (error instanceof ProtocolError ? error.senderId : undefined))
    } catch (sendFailure) {
      this.#options.reportError(sendFailure)
    }
    this.#options.reportError(cause)
    if (closeCode !== undefined) this.close(closeCode, message)
  }
}

/** A close reason may hold at most 123 bytes of UTF-8; ws throws on longer ones. */
function closeReason(text: string): string {
  let reason = text.slice(0, 123)
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1)
  return reason
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}
