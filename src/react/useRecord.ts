'use client'
import { useCallback, useDebugValue, useMemo } from 'react'
import type { SyncError } from '../core/errors.js'
import { findRecord } from '../core/records/recordLookup.js'
import type { RecordSnapshot, WatchRecord } from '../core/records/types.js'
import { useSyncContext } from './context.js'
import { recordStoreFor, retainingSource, serverRecordSource } from './recordStoreSources.js'
import { shouldThrow } from './throwOnError.js'
import type { UseRecordsOptions } from './useRecords.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

/** `throwOnError` throws the watch's errors to the nearest error boundary; without it, `useRecord` throws none. */
export type UseRecordOptions<V> = Pick<UseRecordsOptions<V>, 'transport' | 'schema' | 'throwOnError'>

interface RecordState<V> {
  readonly record: WatchRecord<V> | undefined
  /** The watch's error when `throwOnError` wants it thrown, else null: other errors do not re-render. */
  readonly thrown: SyncError | null
}

const isSameState = <V>(a: RecordState<V>, b: RecordState<V>): boolean => a.record === b.record && a.thrown === b.thrown

/**
 * One record of a watch, by rkey (and author, when several users may use the same rkey):
 * `undefined` until it arrives or after it is deleted. It shares the store and stream of
 * `useRecords(url)`, and re-renders only when this record changes: a change to another record,
 * or to the connection status, leaves the component alone.
 *
 * ```tsx
 * const message = useRecord<Message>(url, rkey)   // WatchRecord<Message> | undefined
 * ```
 * Without `did`, the newest record with that rkey (in the store's order) is the one shown.
 */
export function useRecord<V = Record<string, unknown>>(
  url: string,
  rkey: string,
  did?: string,
  options: UseRecordOptions<V> = {},
): WatchRecord<V> | undefined {
  const { client } = useSyncContext('useRecord')
  const { transport, schema, throwOnError } = options
  const store = useMemo(() => recordStoreFor<V>(client, url, transport, schema), [client, url, transport, schema])
  const source = useMemo(
    () => (store === null ? (serverRecordSource as ExternalStore<RecordSnapshot<V>>) : retainingSource(client, store)),
    [client, store],
  )
  // A record the server re-sends unchanged keeps its object, so Object.is is the right test.
  // Every mounted useRecord runs this on each change; findRecord's index keeps it O(1) each.
  const select = useCallback(
    (snapshot: RecordSnapshot<V>): RecordState<V> => ({
      record: findRecord(snapshot.records, rkey, did),
      thrown: shouldThrow(snapshot.error, throwOnError, false) ? snapshot.error : null,
    }),
    [rkey, did, throwOnError],
  )
  const { record, thrown } = useStore(source, select, isSameState)
  useDebugValue(record, recordDebugLabel)
  if (thrown !== null) throw thrown
  return record
}

function recordDebugLabel(record: WatchRecord<unknown> | undefined): string {
  return record === undefined ? 'no such record' : record.optimistic === undefined ? 'saved to server' : record.optimistic
}
