/** Milliseconds from some fixed origin; `performance.now` unless a test passes its own. */
export type Clock = () => number

/**
 * A token bucket: it holds at most `capacity` tokens, starts full and refills continuously
 * at `perSecond`. Every per-second limit of the server is one (requests per address,
 * messages per document socket, ephemeral bytes per socket), so they all agree on what
 * "a burst above the average" means.
 */
export class TokenBucket {
  readonly perSecond: number
  readonly capacity: number
  readonly #now: Clock
  #tokens: number
  #refilledAt: number

  /** `perSecond` 0 or less means no limit: every `take` succeeds. */
  constructor(perSecond: number, capacity: number, now: Clock = () => performance.now()) {
    this.perSecond = perSecond
    this.capacity = capacity
    this.#now = now
    this.#tokens = capacity
    this.#refilledAt = now()
  }

  /** Takes `amount` tokens if the bucket holds them; a refused take uses none. */
  take(amount = 1): boolean {
    if (this.perSecond <= 0) return true
    this.#refill()
    if (this.#tokens < amount) return false
    this.#tokens -= amount
    return true
  }

  /** Whether the bucket has refilled to capacity, so forgetting it changes nothing. */
  get full(): boolean {
    if (this.perSecond <= 0) return true
    this.#refill()
    return this.#tokens >= this.capacity
  }

  #refill(): void {
    const now = this.#now()
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#refilledAt) / 1000) * this.perSecond)
    this.#refilledAt = now
  }
}

/** Token buckets per key (a remote address); buckets back at capacity are forgotten once a minute. */
export class RateLimiter {
  readonly #perSecond: number
  readonly #burst: number
  readonly #now: Clock
  readonly #buckets = new Map<string, TokenBucket>()
  #sweptAt: number

  constructor(perSecond: number, burst: number, now: Clock = () => performance.now()) {
    this.#perSecond = perSecond
    this.#burst = burst
    this.#now = now
    this.#sweptAt = now()
  }

  /** How many keys have a bucket (a test's view of the sweep). */
  get size(): number {
    return this.#buckets.size
  }

  take(key: string): boolean {
    if (this.#perSecond <= 0) return true
    this.#sweep()
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#perSecond, this.#burst, this.#now)
      this.#buckets.set(key, bucket)
    }
    return bucket.take()
  }

  #sweep(): void {
    const now = this.#now()
    if (now - this.#sweptAt < 60_000) return
    this.#sweptAt = now
    for (const [key, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(key)
  }
}
