'use client'
import { useDebugValue } from 'react'
import type { SyncClient } from '../core/client.js'
import { useSyncContext } from './context.js'

/** The `SyncClient` of the nearest `<SyncProvider>`, for imperative work outside the hooks. */
export function useSyncClient(): SyncClient {
  const { client } = useSyncContext('useSyncClient')
  // The status as it is when inspected: the formatter runs only while DevTools looks.
  useDebugValue(client, connectionLabel)
  return client
}

const connectionLabel = (client: SyncClient): string => client.getConnectionStatus()
