import type { SyncClient } from '../core/client.js'
import type { DocStore } from '../core/docs/types.js'
import type { WatchRecordStore } from '../core/records/recordStore.js'

/**
 * How long a suspended render keeps its store running without React coming back. A tree
 * that suspends and is then abandoned never mounts, so nothing would ever release it.
 */
const ABANDONED_SUSPENSION_MS = 30_000

type SharedStore = WatchRecordStore<unknown> | DocStore<unknown>

const suspensions = new WeakMap<SharedStore, Promise<void>>()

/**
 * The promise a suspended hook throws: it resolves once `isSettled()` holds (there is
 * something to show, or something went wrong). Every component suspended on one store gets
 * the same promise. A suspended component has not subscribed, so this retains the store
 * itself to make it connect, and releases it once settled; the client's release delay
 * bridges the gap until the component mounts and retains it again.
 */
export function suspendUntilSettled(client: SyncClient, store: SharedStore, isSettled: () => boolean, subscribeMore?: (listener: () => void) => () => void): Promise<void> {
  const existing = suspensions.get(store)
  if (existing) return existing
  let resolve!: () => void
  const promise = new Promise<void>((settle) => {
    resolve = settle
  })
  suspensions.set(store, promise)
  let settled = false
  let release: (() => void) | null = null
  const finish = (): void => {
    if (settled) return
    settled = true
    for (const unsubscribe of unsubscribers) unsubscribe()
    clearTimeout(abandonTimer)
    suspensions.delete(store)
    release?.()
    resolve()
  }
  const check = (): void => {
    if (isSettled()) finish()
  }
  // Listen before retaining: retaining starts the store, and it may settle at once.
  const unsubscribers = [store.subscribe(check), ...(subscribeMore ? [subscribeMore(check)] : [])]
  // Resolving lets React render again: if it still cares, it suspends on a fresh retain.
  const abandonTimer = setTimeout(finish, ABANDONED_SUSPENSION_MS)
  const releaseStore = client.retain(store)
  if (settled) releaseStore()
  else release = releaseStore
  check()
  return promise
}
