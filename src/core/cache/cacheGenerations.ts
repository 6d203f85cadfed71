import { SyncError } from '../errors.js'
import type { RecordCache } from './types.js'

/**
 * The cache as one sign-in's stores see it. `clearLocalData()` ends a generation: the stores
 * of the ended one may still hold a timer or a late write, and none of it may reach the cache
 * the next user starts on. So each generation talks to the cache through its own view:
 *
 * - every method call of the current view is forwarded (a method this file has never heard
 *   of too, such as an outbox's: the view does not list the cache's methods);
 * - once a view is revoked, its calls reject with `'closed'` and its `watch*` subscriptions
 *   end, and revoking waits for the calls already under way;
 * - the next view's calls wait until the clear is done, so a store opened meanwhile reads the
 *   emptied cache, never the old user's data.
 *
 * A view's `close` does nothing: the cache belongs to whoever made it.
 */
export class CacheGenerations<C extends RecordCache> {
  readonly #base: C
  #current: CacheView<C>

  constructor(base: C) {
    this.#base = base
    this.#current = createView(base, null)
  }

  /** The cache itself (not a view): for listening to clears from other tabs. */
  get base(): C {
    return this.#base
  }

  /** What stores made now should use. */
  get cache(): C {
    return this.#current.cache
  }

  /**
   * Ends the current generation and empties the cache: once `closed` settles (the old stores
   * have finished), their view is revoked and, when `clearBase` (another tab has not already
   * done it), the cache is cleared. Stores made from now on use a new view that waits for this.
   */
  async retire(closed: Promise<unknown>, clearBase: boolean): Promise<void> {
    const old = this.#current
    let done!: () => void
    this.#current = createView(this.#base, new Promise<void>((resolve) => (done = resolve)))
    try {
      await closed
      await old.revoke()
      if (clearBase) await this.#base.clear()
    } finally {
      done()
    }
  }
}

interface CacheView<C> {
  readonly cache: C
  revoke(): Promise<void>
}

function createView<C extends RecordCache>(base: C, ready: Promise<void> | null): CacheView<C> {
  let revoked = false
  const underWay = new Set<Promise<unknown>>()
  const subscriptions = new Set<() => void>()
  const refused = (): Promise<never> =>
    Promise.reject(new SyncError('closed', 'clearLocalData() ended the session this store belonged to; open a new store'))

  const forward = (method: (...args: unknown[]) => unknown, args: unknown[]): unknown => {
    if (revoked) return refused()
    const invoke = (): Promise<unknown> => {
      try {
        return Promise.resolve(method.apply(base, args))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    const call = ready === null ? invoke() : ready.then(() => (revoked ? refused() : invoke()))
    const tracked: Promise<unknown> = call.then(
      () => underWay.delete(tracked),
      () => underWay.delete(tracked),
    )
    underWay.add(tracked)
    return call
  }

  const watch = (method: (...args: unknown[]) => unknown, args: unknown[]): (() => void) => {
    if (revoked) return () => {}
    const unsubscribe = method.apply(base, args) as () => void
    const end = (): void => {
      if (subscriptions.delete(end)) unsubscribe()
    }
    subscriptions.add(end)
    return end
  }

  const cache = new Proxy(base, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      const method = value as (...args: unknown[]) => unknown
      if (property === 'close') return () => {}
      if (typeof property === 'string' && property.startsWith('watch')) return (...args: unknown[]) => watch(method, args)
      return (...args: unknown[]) => forward(method, args)
    },
  })

  return {
    cache,
    async revoke() {
      revoked = true
      for (const end of [...subscriptions]) end()
      // A call that started before the revoke may still be writing: it lands before the clear.
      while (underWay.size > 0) await Promise.all([...underWay])
    },
  }
}
