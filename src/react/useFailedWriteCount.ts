'use client'
import { useMemo } from 'react'
import type { RecordSnapshot } from '../core/records/types.js'
import { useSyncContext } from './context.js'
import { observingSource, recordStoreFor, serverRecordSource } from './recordStoreSources.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

const countFailed = (snapshot: RecordSnapshot<unknown>): number => {
  let failed = 0
  for (const record of snapshot.records) if (record.optimistic === 'failed') failed++
  return failed
}

/**
 * Optimistic writes marked failed in one watch (0 without a URL). The client's summary
 * counts only pending writes, so a failure can only be seen per store.
 */
export function useFailedWriteCount(recordsUrl: string | undefined, transport?: 'sse' | 'ws'): number {
  const { client } = useSyncContext('useFailedWriteCount')
  const source = useMemo<ExternalStore<RecordSnapshot<unknown>>>(() => {
    const store = recordsUrl === undefined ? null : recordStoreFor<unknown>(client, recordsUrl, transport)
    return store === null ? serverRecordSource : observingSource(store)
  }, [client, recordsUrl, transport])
  return useStore(source, countFailed)
}
