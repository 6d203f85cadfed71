'use client'
import { useDebugValue, useMemo } from 'react'
import type { SyncStatusSummary } from '../core/client.js'
import { useSyncContext } from './context.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

/** A server has written nothing; it also keeps hydration in step with the server's HTML. */
const SERVER_SYNC_STATUS: SyncStatusSummary = Object.freeze({ pending: 0, savedLocal: true, savedServer: true })
const serverSyncStatus = (): SyncStatusSummary => SERVER_SYNC_STATUS
/** For React DevTools: the summary as it is when inspected (the formatter runs only then). */
function summaryLabel(client: { getSyncStatus(): SyncStatusSummary }): string {
  const { pending, savedLocal, savedServer } = client.getSyncStatus()
  return `${pending} pending, saved ${savedServer ? 'to server' : savedLocal ? 'locally' : 'nowhere yet'}`
}
const identity = <T>(value: T): T => value

/**
 * How much of the local user's work is safe, across every store of the provider:
 * `pending` writes the server has not confirmed, `savedLocal` (in the local cache) and
 * `savedServer` (confirmed by the server). Re-renders only when one of them changes.
 * Pass `selector` to re-render on less, e.g. `useSyncStatus((s) => s.savedServer)`.
 */
export function useSyncStatus(): SyncStatusSummary
export function useSyncStatus<S>(selector: (status: SyncStatusSummary) => S): S
export function useSyncStatus<S>(selector?: (status: SyncStatusSummary) => S): S | SyncStatusSummary {
  const { client } = useSyncContext('useSyncStatus')
  const source = useMemo<ExternalStore<SyncStatusSummary>>(
    () => ({ subscribe: client.subscribe, getSnapshot: client.getSyncStatus, getServerSnapshot: serverSyncStatus }),
    [client],
  )
  useDebugValue(client, summaryLabel)
  return useStore<SyncStatusSummary, S | SyncStatusSummary>(source, selector ?? identity)
}
