import type { PeerConnection } from './peerConnection.js'
import { CLOSE_IDLE } from '../../wire/closeCodes.js'

/**
 * Closes connections that have not sent `join` within `timeoutMs` of opening (4008). Without
 * a deadline, sockets that never join would hold connection slots forever.
 */
export class JoinDeadlines {
  readonly #timeoutMs: number
  readonly #timers = new Map<PeerConnection, ReturnType<typeof setTimeout>>()

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs
  }

  arm(peer: PeerConnection): void {
    if (this.#timeoutMs <= 0 || peer.closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(peer)
      if (!peer.joined) peer.close(CLOSE_IDLE, `no "join" message within ${this.#timeoutMs} ms`)
    }, this.#timeoutMs)
    timer.unref()
    this.#timers.set(peer, timer)
  }

  /** The peer joined or closed. */
  clear(peer: PeerConnection): void {
    clearTimeout(this.#timers.get(peer))
    this.#timers.delete(peer)
  }
}
