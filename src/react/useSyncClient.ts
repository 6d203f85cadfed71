'use client'
import type { SyncClient } from '../core/client.js'
import { useSyncContext } from './context.js'

/** The `SyncClient` of the nearest `<SyncProvider>`, for imperative work outside the hooks. */
export function useSyncClient(): SyncClient {
  return useSyncContext('useSyncClient').client
}
