import type { Environment } from './environment.js'
import { SyncError } from './errors.js'

export interface StoreRegistryOptions<V> {
  readonly environment: Environment
  /** How long a store nobody retains stays open: React StrictMode and Suspense need a moment. */
  readonly releaseDelayMs: number
  /**
   * Release in the last `release`, not `releaseDelayMs` later, and never release a store
   * nobody has retained yet (its adder retains it at once). For `DocConnection.open()` and
   * `close()`, where no React remount is coming and a closed store must be closed at once.
   */
  readonly releaseAtOnce?: boolean
  /** The first `retain` since the store was added: start it. */
  onActive?(value: V): void
  /**
   * Work the store must finish before it may close (edits the server has not acknowledged):
   * a promise that settles when it is worth asking again, or null when it may close now.
   */
  unfinished?(value: V): Promise<unknown> | null
  /** Unused for `releaseDelayMs` and nothing unfinished: forgotten here, close it. */
  onRelease(value: V, key: string, wasActive: boolean): void
}

interface Entry<V> {
  readonly key: string
  readonly value: V
  refs: number
  timer: unknown
  active: boolean
  /** A release waits for `unfinished` to settle. */
  waiting: boolean
}

/**
 * The one owner of store lifetimes: one store per key, counted by `retain`, released
 * `releaseDelayMs` after its last user (or after being added, if no one ever retains it: a
 * render React throws away), and never while `unfinished` says it still has work. Used for
 * documents and for record stores alike, so StrictMode, Suspense and "keep until the server
 * has it" behave the same everywhere.
 */
export class StoreRegistry<V> {
  readonly #options: StoreRegistryOptions<V>
  readonly #byKey = new Map<string, Entry<V>>()
  readonly #byValue = new Map<V, Entry<V>>()

  constructor(options: StoreRegistryOptions<V>) {
    this.#options = options
  }

  get size(): number {
    return this.#byKey.size
  }

  get(key: string): V | undefined {
    return this.#byKey.get(key)?.value
  }

  has(value: unknown): boolean {
    return this.#byValue.has(value as V)
  }

  values(): V[] {
    return [...this.#byKey.values()].map((entry) => entry.value)
  }

  /** Adds a store under a free `key` (callers `get` first); unless someone retains it, it is released after the delay. */
  add(key: string, value: V): V {
    const entry: Entry<V> = { key, value, refs: 0, timer: null, active: false, waiting: false }
    this.#byKey.set(key, entry)
    this.#byValue.set(value, entry)
    if (this.#options.releaseAtOnce !== true) this.#scheduleRelease(entry)
    return value
  }

  /** Counts a user of `value`; the returned function releases it (idempotent). */
  retain(value: V): () => void {
    const entry = this.#byValue.get(value)
    if (entry === undefined) throw new SyncError('bad-input', 'This store does not belong to this SyncClient')
    entry.refs++
    this.#cancelRelease(entry)
    if (!entry.active) {
      entry.active = true
      this.#options.onActive?.(value)
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.#release(entry)
    }
  }

  /** Releases one `retain` of `value`, for callers that count uses, not holders (one `close()` per `open()`); a value no longer here is ignored. */
  release(value: V): void {
    const entry = this.#byValue.get(value)
    if (entry !== undefined && entry.refs > 0) this.#release(entry)
  }

  /** Forgets every store at once, without `onRelease` (the owner is closing them itself). */
  clear(): V[] {
    const values = this.values()
    for (const entry of this.#byKey.values()) this.#cancelRelease(entry)
    this.#byKey.clear()
    this.#byValue.clear()
    return values
  }

  #release(entry: Entry<V>): void {
    if (--entry.refs > 0) return
    if (this.#options.releaseAtOnce === true) this.#releaseIfUnused(entry)
    else this.#scheduleRelease(entry)
  }

  #scheduleRelease(entry: Entry<V>): void {
    this.#cancelRelease(entry)
    entry.timer = this.#options.environment.setTimeout(() => {
      entry.timer = null
      this.#releaseIfUnused(entry)
    }, this.#options.releaseDelayMs)
  }

  #cancelRelease(entry: Entry<V>): void {
    if (entry.timer === null) return
    this.#options.environment.clearTimeout(entry.timer)
    entry.timer = null
  }

  #releaseIfUnused(entry: Entry<V>): void {
    if (entry.refs > 0 || entry.waiting || this.#byKey.get(entry.key) !== entry) return
    const unfinished = this.#options.unfinished?.(entry.value) ?? null
    if (unfinished !== null) {
      entry.waiting = true
      const again = (): void => {
        entry.waiting = false
        this.#releaseIfUnused(entry)
      }
      unfinished.then(again, again)
      return
    }
    this.#byKey.delete(entry.key)
    this.#byValue.delete(entry.value)
    this.#options.onRelease(entry.value, entry.key, entry.active)
  }
}
