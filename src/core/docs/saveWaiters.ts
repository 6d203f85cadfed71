import type { WaitOptions } from '../boundedWait.js'
import { boundedWait } from '../boundedWait.js'
import { SyncError } from '../errors.js'

export type SaveTarget = 'local' | 'server'

interface SaveWaiter {
  readonly where: SaveTarget
  resolve(): void
  reject(error: unknown): void
}

/** Where a store's changes are now; `settle` reads it after every change. */
export interface SaveProgress {
  readonly saved: { readonly local: boolean; readonly server: boolean }
  /** The store is closed: nothing it holds will reach the server any more. */
  readonly closed: boolean
  /** Closed and its cache writes are finished (or it has no cache): nothing more reaches the cache. */
  readonly cacheDone: boolean
}

/**
 * The pending `whenSaved()` calls of one store: each resolves once its target has the
 * store's changes, or is rejected with code `'closed'` once the store can no longer get
 * them there. Knows nothing about documents, so it can be tested alone.
 */
export class SaveWaiters {
  readonly #label: string
  readonly #waiters = new Set<SaveWaiter>()

  /** `label` names the store in error messages (its URL). */
  constructor(label: string) {
    this.#label = label
  }

  get size(): number {
    return this.#waiters.size
  }

  /** A wait bounded by `options` (timeout, abort signal); `settle` ends it. */
  wait(where: SaveTarget, options: WaitOptions = {}): Promise<void> {
    const start = (resolve: () => void, reject: (error: unknown) => void) => {
      const waiter = { where, resolve, reject }
      this.#waiters.add(waiter)
      return () => void this.#waiters.delete(waiter)
    }
    return boundedWait(start, options, `whenSaved('${where}') for ${this.#label}`)
  }

  /** Resolves the waits whose target has the changes; rejects those that can never see it. */
  settle(progress: SaveProgress): void {
    for (const waiter of [...this.#waiters]) {
      if (progress.saved[waiter.where]) {
        this.#waiters.delete(waiter)
        waiter.resolve()
      } else if (progress.closed && (waiter.where === 'server' || progress.cacheDone)) {
        this.#waiters.delete(waiter)
        waiter.reject(closedBeforeSaved(this.#label, waiter.where))
      }
    }
  }
}

export function closedBeforeSaved(label: string, where: SaveTarget): SyncError {
  return new SyncError('closed', `The store for ${label} was closed before its changes were saved ${where === 'local' ? 'in the cache' : 'on the server'}`)
}
