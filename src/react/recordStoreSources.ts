import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SyncClient } from '../core/client.js'
import type { WatchRecordStore } from '../core/records/recordStore.js'
import { watchRecordSupport } from '../core/records/recordSupport.js'
import type { RecordSnapshot } from '../core/records/types.js'
import type { ExternalStore } from './useStore.js'

/**
 * What a record hook renders on a server and while hydrating: nothing yet, not connected.
 * One frozen object, so server and client agree and the selector memo holds.
 */
export const EMPTY_RECORD_SNAPSHOT: RecordSnapshot<never> = Object.freeze({
  records: Object.freeze([]) as readonly never[],
  status: 'idle',
  error: null,
  saved: Object.freeze({ local: true, server: true }),
})

/** Rendering without a DOM: no stream will ever be opened, so no store is needed. */
export function isServerRender(): boolean {
  return typeof window === 'undefined'
}

/**
 * A store as `useStore` reads it, holding the client's retain for as long as React is
 * subscribed: the stream lives exactly as long as someone renders it, and StrictMode's
 * subscribe → unsubscribe → subscribe reuses it because a release only stops the store
 * after the client's `releaseDelayMs`.
 */
export function retainingSource<V>(client: SyncClient, store: WatchRecordStore<V>): ExternalStore<RecordSnapshot<V>> {
  return {
    subscribe(listener) {
      // Listen before retaining: retaining starts the store, and its first status change must not be missed.
      const unsubscribe = store.subscribe(listener)
      const release = client.retain(store as WatchRecordStore<unknown>)
      return () => {
        unsubscribe()
        release()
      }
    },
    getSnapshot: store.getSnapshot,
    getServerSnapshot: () => EMPTY_RECORD_SNAPSHOT,
  }
}

/** A store read without keeping it running: watching a status must not open a stream. */
export function observingSource<V>(store: WatchRecordStore<V>): ExternalStore<RecordSnapshot<V>> {
  return {
    subscribe: store.subscribe,
    getSnapshot: store.getSnapshot,
    getServerSnapshot: () => EMPTY_RECORD_SNAPSHOT,
  }
}

/** Stands in for a store on the server. */
export const serverRecordSource: ExternalStore<RecordSnapshot<never>> = {
  subscribe: () => () => {},
  getSnapshot: () => EMPTY_RECORD_SNAPSHOT,
  getServerSnapshot: () => EMPTY_RECORD_SNAPSHOT,
}

/** The shared store for `url`, or `null` on a server (where a relative URL may not even resolve). */
export function recordStoreFor<V>(
  client: SyncClient,
  url: string,
  transport: 'sse' | 'ws' | undefined,
  schema?: StandardSchemaV1<unknown, V>,
): WatchRecordStore<V> | null {
  if (isServerRender()) return null
  return client.getRecordStore<V>(url, { transport, schema }, watchRecordSupport)
}
