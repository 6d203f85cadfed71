import { SyncError } from '../errors.js'
import type { DocCache, OutboxEntry, RecordCache } from './types.js'

/** What a store closed by `clearLocalData()` answers to a write. */
export const clearedError = (): SyncError => new SyncError('closed', 'Closed by clearLocalData(): get a new store')

/**
 * A `SyncClient`'s side of its cache: what its stores see of it, and clearing it on logout.
 *
 * `clearLocalData()` ends a generation of stores. They may still hold a timer or a late
 * write, and none of it may reach the cache the next user starts on, so each generation
 * talks to the cache through its own view (`createCacheView`): the old view is revoked once
 * the old stores have finished, and the new one holds its calls until the cache is empty.
 */
export interface ClearableCache<C> {
  /** What stores made now should use. */
  readonly cache: C
  /** Listens for clears by other tabs and clients on the same storage (idempotent; from the first store on). */
  listen(): void
  stopListening(): void
  /**
   * Ends the current generation. Stores made from now on get a view that waits for this;
   * once `closed` settles (the old stores have finished), the old view is revoked and, when
   * `clearBase`, the cache is emptied. Without it (another tab or client cleared it), what the
   * old stores wrote is deleted again: a write can land between that clear and our hearing of it.
   */
  retire(closed: Promise<unknown>, clearBase: boolean): Promise<void>
}

export function createClearableCache<C extends RecordCache>(base: C, onOtherClear: () => void): ClearableCache<C> {
  let view = createCacheView(base)
  /** Retirements under way: the cache tells of our own clear too, and that one is not another's. */
  let clearing = 0
  let unwatch: (() => void) | null = null
  return {
    get cache() {
      return view.cache
    },
    listen() {
      unwatch ??= base.watchCleared?.(() => clearing === 0 && onOtherClear()) ?? null
    },
    stopListening() {
      unwatch?.()
      unwatch = null
    },
    async retire(closed, clearBase) {
      const old = view
      let done!: () => void
      view = createCacheView(base, new Promise<void>((resolve) => (done = resolve)))
      clearing++
      try {
        await closed
        await old.revoke()
        await (clearBase ? base.clear() : old.undoWrites())
      } finally {
        clearing--
        done()
      }
    },
  }
}

/**
 * One generation's view of the cache:
 *
 * - every method call is forwarded (a method this file has never heard of too, such as an
 *   outbox's: the view does not list the cache's methods);
 * - once the view is revoked its calls reject with `'closed'`; `revoke()` resolves when the
 *   calls already under way have settled (`watch*` subscriptions pass straight through: a
 *   closed store ends its own);
 * - a view made with `ready` holds every call until it settles, so a store opened while the
 *   clear runs reads the emptied cache, never the old user's data.
 *
 * A view's `close` does nothing: the cache belongs to whoever made it.
 */
export interface CacheView<C> {
  readonly cache: C
  revoke(): Promise<void>
  /** Deletes every record list, document and outbox entry this view has written (after `revoke`). */
  undoWrites(): Promise<void>
}

type Undo = (cache: RecordCache & DocCache, args: unknown[]) => unknown

/** How to take back a write, and the key naming what it wrote (a later write of the same thing needs one undo). */
const UNDO: Partial<Record<PropertyKey, [Undo, (args: unknown[]) => string]>> = {
  saveRecords: [(cache, [key]) => cache.deleteRecords(key as string), ([key]) => `r ${String(key)}`],
  saveDocChunk: [(cache, [id]) => cache.deleteDoc(id as string), ([id]) => `d ${String(id)}`],
  saveOutboxEntry: [
    (cache, [key, entry]) => cache.deleteOutboxEntry(key as string, (entry as OutboxEntry<unknown>).id),
    ([key, entry]) => `o ${String(key)} ${(entry as OutboxEntry<unknown>).id}`,
  ],
}

export function createCacheView<C extends object>(base: C, ready?: Promise<void>): CacheView<C> {
  let revoked = false
  const underWay = new Set<Promise<unknown>>()
  /** What this view wrote: the delete that takes it back, and the key it names. */
  const written = new Map<string, [Undo, unknown[]]>()
  const refuse = (): Promise<never> => Promise.reject(clearedError())

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
      // Subscriptions answer at once; closing a store ends its own.
      if (String(property).startsWith('watch')) return method.bind(target)
      const undo = UNDO[property]
      return (...args: unknown[]) => {
        if (undo !== undefined && !revoked) written.set(undo[1](args), [undo[0], args])
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
      // A call that started before the revoke may still be writing: it lands before the clear.
      while (underWay.size > 0) await Promise.all(underWay)
    },
    async undoWrites() {
      await Promise.all([...written.values()].map(([undo, args]) => undo(base as unknown as RecordCache & DocCache, args)))
    },
  }
}
