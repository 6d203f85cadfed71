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
  readonly #capacity: number
  #tokens: number
  #refilledAt = performance.now()

  constructor(maxBytes: number, bytesPerSecond: number) {
    this.maxBytes = maxBytes
    this.bytesPerSecond = bytesPerSecond
    this.#capacity = Math.max(bytesPerSecond, maxBytes)
    this.#tokens = this.#capacity
  }

  /** Whether a frame of `bytes` may be relayed now; a refused frame uses none of the rate. */
  check(bytes: number): 'ok' | 'too-big' | 'too-fast' {
    if (this.maxBytes > 0 && bytes > this.maxBytes) return 'too-big'
    if (this.bytesPerSecond <= 0) return 'ok'
    const now = performance.now()
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#refilledAt) / 1000) * this.bytesPerSecond)
    this.#refilledAt = now
    if (this.#tokens < bytes) return 'too-fast'
    this.#tokens -= bytes
    return 'ok'
  }
}
