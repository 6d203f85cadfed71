'use client'
import { useDebugValue, useMemo } from 'react'
import type { SyncClient } from '../core/client.js'
import { SyncError } from '../core/errors.js'
import { findRecord } from '../core/records/recordLookup.js'
import type { RecordSnapshot, WatchRecord } from '../core/records/types.js'
import { useSyncContext } from './context.js'
import { recordStoreFor, retainingSource } from './recordStoreSources.js'
import type { ThrowOnError } from './throwOnError.js'
import { shouldThrow } from './throwOnError.js'
import type { UseRecordsOptions } from './useRecords.js'
import type { ExternalStore } from './useStore.js'
import { useStoreValue } from './useStoreValue.js'

/** `throwOnError` throws the watch's errors to the nearest error boundary; without it, `useRecord` throws none. */
export type UseRecordOptions<V> = Pick<UseRecordsOptions<V>, 'transport' | 'schema' | 'throwOnError'>

/** What a row reads: its record, or the watch's error when `throwOnError` wants it thrown (a record is never a SyncError). */
type Picked<V> = WatchRecord<V> | undefined | SyncError

const nothing = (): undefined => undefined
/** On a server there is no store, and while hydrating a row shows what the server did: no record. */
const serverReader: ExternalStore<Picked<never>> = { subscribe: () => () => {}, getSnapshot: nothing, getServerSnapshot: nothing }

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
  // One memo and one useSyncExternalStore: with a long list, every row's hooks run once per
  // render of it, and this is all of them (bench case 3 measures a row's render against React alone).
  const reader = useMemo(() => recordReader<V>(client, url, transport, schema, rkey, did, throwOnError), [client, url, transport, schema, rkey, did, throwOnError])
  const picked = useStoreValue(reader)
  useDebugValue(picked, recordDebugLabel)
  if (picked instanceof SyncError) throw picked
  return picked
}

/**
 * The row's record as its own tiny store: `getSnapshot` hands out the record object itself, so
 * React's own Object.is test is the "did this record change" test (an unchanged record keeps
 * its object across snapshots). It looks again only when the store hands out a new snapshot,
 * and findRecord's index keeps that O(1) for every mounted row.
 */
function recordReader<V>(
  client: SyncClient,
  url: string,
  transport: 'sse' | 'ws' | undefined,
  schema: UseRecordOptions<V>['schema'],
  rkey: string,
  did: string | undefined,
  throwOnError: ThrowOnError | undefined,
): ExternalStore<Picked<V>> {
  const store = recordStoreFor<V>(client, url, transport, schema)
  if (store === null) return serverReader
  let seen: RecordSnapshot<V> | null = null
  let picked: Picked<V>
  return {
    subscribe: retainingSource(client, store).subscribe,
    getSnapshot: () => {
      const snapshot = store.getSnapshot()
      if (snapshot !== seen) {
        seen = snapshot
        // Other errors are not this row's to show, so they do not re-render it.
        picked = shouldThrow(snapshot.error, throwOnError, false) ? snapshot.error : findRecord(snapshot.records, rkey, did)
      }
      return picked
    },
    getServerSnapshot: nothing,
  }
}

function recordDebugLabel(picked: Picked<unknown>): string {
  if (picked instanceof SyncError) return `error: ${picked.code}`
  return picked === undefined ? 'no such record' : picked.optimistic === undefined ? 'saved to server' : picked.optimistic
}
