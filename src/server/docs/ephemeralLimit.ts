import type { Clock } from '../tokenBucket.js'
import { TokenBucket } from '../tokenBucket.js'

/**
 * Ephemeral messages (presence, cursors) are relayed to every other peer of a document, so
 * each byte a sender puts in one is multiplied by the number of receivers. They get a size
 * limit of their own, far below `maxMessageBytes` (presence needs kilobytes), and a byte
 * rate per connection: a token bucket that holds one second's worth, and at least one
 * message of the largest size.
 */
export class EphemeralLimit {
  readonly maxBytes: number
  readonly bytesPerSecond: number
  readonly #bucket: TokenBucket

  constructor(maxBytes: number, bytesPerSecond: number, now?: Clock) {
    this.maxBytes = maxBytes
    this.bytesPerSecond = bytesPerSecond
    this.#bucket = new TokenBucket(bytesPerSecond, Math.max(bytesPerSecond, maxBytes), now)
  }

  /** Whether a frame of `bytes` may be relayed now; a refused frame uses none of the rate. */
  check(bytes: number): 'ok' | 'too-big' | 'too-fast' {
    if (this.maxBytes > 0 && bytes > this.maxBytes) return 'too-big'
    return this.#bucket.take(bytes) ? 'ok' : 'too-fast'
  }
}
