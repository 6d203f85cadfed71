'use client'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { useCallback, useDebugValue, useMemo } from 'react'
import { SyncError } from '../core/errors.js'
import type { SyncStatus } from '../core/machine.js'
import type { WatchRecordStore } from '../core/records/recordStore.js'
import type { RecordSnapshot, RecordStore, WatchRecord } from '../core/records/types.js'
import { useSyncContext } from './context.js'
import { debugLabel } from './debugLabel.js'
import { recordStoreFor, retainingSource, serverRecordSource } from './recordStoreSources.js'
import { suspendUntilSettled } from './suspendUntilSettled.js'
import type { ThrowOnError } from './throwOnError.js'
import { shouldThrow } from './throwOnError.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

export interface UseRecordsOptions<V, S = readonly WatchRecord<V>[]> {
  /** How the stream travels. Each transport has its own store and stream. @default 'sse' */
  transport?: 'sse' | 'ws' | undefined
  /**
   * Picks what this component needs from the sorted records; it re-renders only when the
   * picked value changes (by `isEqual`). It runs again only when the record list changes.
   * @default the whole list
   */
  selector?: ((records: readonly WatchRecord<V>[]) => S) | undefined
  /** Decides whether a new selection is the same as the last one. @default Object.is */
  isEqual?: ((a: S, b: S) => boolean) | undefined
  /**
   * Suspend (show the nearest `<Suspense>` fallback) until there is something to show:
   * records (from the cache or the server), a `live` stream, or an error.
   * @default false
   */
  suspense?: boolean | undefined
  /**
   * Throw errors to the nearest error boundary instead of returning them in `error`: `true`
   * for every error, a function to decide per error.
   * @default with `suspense`, the errors no retry fixes ('unauthorized', 'forbidden',
   * 'unavailable', 'bad-input'); without it, none
   */
  throwOnError?: ThrowOnError | undefined
  /**
   * A Standard Schema (zod, valibot, arktype…) every record's value must pass; `V` is its
   * output. Define it once, outside the component: each schema object has its own store.
   */
  schema?: StandardSchemaV1<unknown, V> | undefined
}

/** What `useRecords` hands out to write: the store's own methods (documented on `RecordStore`), with stable identities. */
export type RecordActions<V> = Pick<
  RecordStore<V>,
  'addOptimistic' | 'markFailed' | 'removeOptimistic' | 'put' | 'delete' | 'retry' | 'discard' | 'loadOlder'
>

export interface UseRecordsResult<V, S = readonly WatchRecord<V>[]> extends RecordActions<V> {
  records: S
  status: SyncStatus
  error: SyncError | null
  /** The local user's writes: `local` once all are in the cache, `server` once the server accepted all. */
  saved: RecordSnapshot<V>['saved']
}

interface RecordsState<S> {
  records: S
  status: SyncStatus
  error: SyncError | null
  saved: RecordSnapshot<unknown>['saved']
}

const selectAll = <V>(records: readonly WatchRecord<V>[]): readonly WatchRecord<V>[] => records

const notInBrowser = (): Promise<never> => Promise.reject(new SyncError('unavailable', 'Records cannot be written during server rendering'))

const noActions: RecordActions<never> = {
  addOptimistic: () => {},
  markFailed: () => {},
  removeOptimistic: () => {},
  put: notInBrowser,
  delete: notInBrowser,
  retry: () => {},
  discard: () => {},
  loadOlder: async () => false,
}

/**
 * The records of one watchRecords endpoint, kept live. Every `useRecords` of the same URL
 * and transport under one provider shares one store and one stream; the stream opens with
 * the first subscribed component and closes shortly after the last one unmounts.
 *
 * ```tsx
 * const { records, status, put, saved } = useRecords<Message>('/xrpc/com.example.message.watchRecords?roomUri=room1')
 * put({ text: 'hi' })   // shown at once as pending; kept in the outbox until the server has it
 * const text = useRecords<Message, string | undefined>(url, {
 *   selector: (records) => records.find((r) => r.rkey === rkey)?.value.text,
 * }).records   // re-renders only when this record's text changes
 * ```
 * A selector runs for every mounted component on every change: for one record per row of a
 * long list, `useRecord(url, rkey)` finds it by key instead of each row scanning the list.
 */
export function useRecords<V = Record<string, unknown>, S = readonly WatchRecord<V>[]>(
  url: string,
  options: UseRecordsOptions<V, S> = {},
): UseRecordsResult<V, S> {
  const { client } = useSyncContext('useRecords')
  const { transport, suspense = false, schema, throwOnError } = options
  const selector = options.selector ?? (selectAll as (records: readonly WatchRecord<V>[]) => S)
  const isEqual = options.isEqual ?? Object.is

  const store = useMemo(() => recordStoreFor<V>(client, url, transport, schema), [client, url, transport, schema])
  const source = useMemo(
    () => (store === null ? (serverRecordSource as ExternalStore<RecordSnapshot<V>>) : retainingSource(client, store)),
    [client, store],
  )

  const selectState = useMemo(() => recordsStateSelector(selector), [selector])
  const isStateEqual = useCallback(
    (a: RecordsState<S>, b: RecordsState<S>) => a.status === b.status && a.error === b.error && a.saved === b.saved && isEqual(a.records, b.records),
    [isEqual],
  )
  const state = useStore(source, selectState, isStateEqual)

  // Bound once per store, so they are safe in effect dependencies and memoized children.
  const actions = useMemo<RecordActions<V>>(
    () =>
      store === null
        ? noActions
        : {
            addOptimistic: (input) => store.addOptimistic(input),
            markFailed: (rkey, error, did) => store.markFailed(rkey, error, did),
            removeOptimistic: (rkey, did) => store.removeOptimistic(rkey, did),
            put: (value, putOptions) => store.put(value, putOptions),
            delete: (rkey) => store.delete(rkey),
            retry: (rkey) => store.retry(rkey),
            discard: (rkey) => store.discard(rkey),
            loadOlder: () => store.loadOlder(),
          },
    [store],
  )

  useDebugValue(state, debugLabel)

  // After every hook has run, so throwing or suspending never changes the order of hooks.
  if (shouldThrow(state.error, throwOnError, suspense)) throw state.error
  if (suspense && store !== null && isLoadingRecords(store.getSnapshot())) {
    throw suspendUntilSettled(client, store as WatchRecordStore<unknown>, () => isSettled(store.getSnapshot()))
  }

  return useMemo(() => ({ ...state, ...actions }), [state, actions])
}

/** Nothing to show yet and nothing has gone wrong: worth waiting for. */
function isLoadingRecords(snapshot: RecordSnapshot<unknown>): boolean {
  return snapshot.records.length === 0 && snapshot.status !== 'live' && snapshot.error === null
}

function isSettled(snapshot: RecordSnapshot<unknown>): boolean {
  return snapshot.records.length > 0 || snapshot.status === 'live' || snapshot.status === 'closed' || snapshot.error !== null
}

/** Status-only changes hand out a new snapshot with the same records array; the selector is skipped then. */
function recordsStateSelector<V, S>(selector: (records: readonly WatchRecord<V>[]) => S): (snapshot: RecordSnapshot<V>) => RecordsState<S> {
  let last: { records: readonly WatchRecord<V>[]; selected: S } | null = null
  return (snapshot) => {
    if (last === null || last.records !== snapshot.records) last = { records: snapshot.records, selected: selector(snapshot.records) }
    return { records: last.selected, status: snapshot.status, error: snapshot.error, saved: snapshot.saved }
  }
}
