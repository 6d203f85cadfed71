'use client'
import { useDebugValue, useMemo } from 'react'
import type { SyncClient } from '../core/client.js'
import type { SyncStatus } from '../core/machine.js'
import { useSyncContext } from './context.js'
import { recordStoreFor } from './recordStoreSources.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

export interface UseConnectionStatusOptions {
  /** The transport of the watch named by `recordsUrl`. @default 'sse' */
  transport?: 'sse' | 'ws' | undefined
}

const identity = <T>(value: T): T => value
const idle = (): SyncStatus => 'idle'
const noSubscription = (): (() => void) => () => {}

/**
 * The connection's `SyncStatus`, re-rendering only when it changes.
 *
 * With `recordsUrl`, the status of that watch's stream. Observing does not open it: a
 * watch nobody reads with `useRecords` stays `idle` (or `closed` once released).
 * Without, the client's overall status: the most urgent one among its active streams.
 */
export function useConnectionStatus(recordsUrl?: string, options: UseConnectionStatusOptions = {}): SyncStatus {
  const { client } = useSyncContext('useConnectionStatus')
  const { transport } = options
  const source = useMemo(() => connectionStatusSource(client, recordsUrl, transport), [client, recordsUrl, transport])
  const status = useStore(source, identity)
  useDebugValue(status)
  return status
}

function connectionStatusSource(client: SyncClient, recordsUrl: string | undefined, transport: 'sse' | 'ws' | undefined): ExternalStore<SyncStatus> {
  if (recordsUrl === undefined) {
    return { subscribe: client.subscribe, getSnapshot: client.getConnectionStatus, getServerSnapshot: idle }
  }
  const store = recordStoreFor(client, recordsUrl, transport)
  if (store === null) return { subscribe: noSubscription, getSnapshot: idle, getServerSnapshot: idle }
  return { subscribe: store.subscribe, getSnapshot: () => store.getSnapshot().status, getServerSnapshot: idle }
}
