import { SyncError } from '../errors.js'

/**
 * The cache as one sign-in's stores see it. `clearLocalData()` ends a generation: the stores
 * of the ended one may still hold a timer or a late write, and none of it may reach the cache
 * the next user starts on. So each generation talks to the cache through its own view:
 *
 * - every method call is forwarded (a method this file has never heard of too, such as an
 *   outbox's: the view does not list the cache's methods);
 * - once the view is revoked its calls reject with `'closed'` and its `watch*` subscriptions
 *   end; `revoke()` resolves when the calls already under way have settled;
 * - a view made with `ready` holds every call until it settles, so a store opened while the
 *   clear runs reads the emptied cache, never the old user's data.
 *
 * A view's `close` does nothing: the cache belongs to whoever made it.
 */
export interface CacheView<C> {
  readonly cache: C
  revoke(): Promise<void>
}

export function createCacheView<C extends object>(base: C, ready?: Promise<void>): CacheView<C> {
  let revoked = false
  const underWay = new Set<Promise<unknown>>()
  const subscriptions = new Set<() => void>()
  const refuse = (): Promise<never> =>
    Promise.reject(new SyncError('closed', 'clearLocalData() ended the session of this store; use a new one'))

  const call = async (method: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> => {
    if (revoked) return refuse()
    if (ready !== undefined) {
      await ready
      if (revoked) return refuse()
    }
    return method.apply(base, args)
  }

  const cache = new Proxy(base, {
    get(target, property) {
      const method: unknown = Reflect.get(target, property)
      if (typeof method !== 'function') return method
      if (property === 'close') return () => {}
      if (String(property).startsWith('watch')) {
        return (...args: unknown[]) => {
          if (revoked) return () => {}
          const unsubscribe = method.apply(target, args) as () => void
          const end = (): void => void (subscriptions.delete(end) && unsubscribe())
          subscriptions.add(end)
          return end
        }
      }
      return (...args: unknown[]) => {
        const result = call(method as (...args: unknown[]) => unknown, args)
        const settled: Promise<unknown> = result.then(
          () => underWay.delete(settled),
          () => underWay.delete(settled),
        )
        underWay.add(settled)
        return result
      }
    },
  })

  return {
    cache,
    async revoke() {
      revoked = true
      for (const end of [...subscriptions]) end()
      // A call that started before the revoke may still be writing: it lands before the clear.
      while (underWay.size > 0) await Promise.all(underWay)
    },
  }
}
