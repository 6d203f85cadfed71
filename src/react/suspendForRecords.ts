import type { SyncClient } from '../core/client.js'
import type { WatchRecordStore } from '../core/records/recordStore.js'
import type { RecordSnapshot } from '../core/records/types.js'

/**
 * How long a suspended render keeps its store running without React coming back. A tree
 * that suspends and is then abandoned never mounts, so nothing would ever release it.
 */
const ABANDONED_SUSPENSION_MS = 30_000

const suspensions = new WeakMap<WatchRecordStore<unknown>, Promise<void>>()

/** Nothing to show yet and nothing has gone wrong: worth waiting for. */
export function isLoadingRecords(snapshot: RecordSnapshot<unknown>): boolean {
  return snapshot.records.length === 0 && snapshot.status !== 'live' && snapshot.error === null
}

function isSettled(snapshot: RecordSnapshot<unknown>): boolean {
  return snapshot.records.length > 0 || snapshot.status === 'live' || snapshot.status === 'closed' || snapshot.error !== null
}

/**
 * The promise a suspended `useRecords` throws: it resolves once the store has records, is
 * live, is closed or reports an error. Every component suspended on one store gets the same
 * promise. A suspended component has not subscribed, so this retains the store itself to
 * make it connect, and releases it once settled; the client's release delay bridges the
 * gap until the component mounts and retains it again.
 */
export function suspendForRecords(client: SyncClient, store: WatchRecordStore<unknown>): Promise<void> {
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
    unsubscribe()
    clearTimeout(abandonTimer)
    suspensions.delete(store)
    release?.()
    resolve()
  }
  // Listen before retaining: retaining starts the store, and it may settle at once.
  const unsubscribe = store.subscribe(() => {
    if (isSettled(store.getSnapshot())) finish()
  })
  // Resolving lets React render again: if it still cares, it suspends on a fresh retain.
  const abandonTimer = setTimeout(finish, ABANDONED_SUSPENSION_MS)
  const releaseStore = client.retain(store)
  if (settled) releaseStore()
  else release = releaseStore
  return promise
}
