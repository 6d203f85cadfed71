'use client'
import { useSyncExternalStore } from './syncExternalStore.js'
import type { ExternalStore } from './useStore.js'

/**
 * `useSyncExternalStore` itself (React's, or on React 17 the fallback in syncExternalStore.ts), for a store whose
 * `getSnapshot` already returns the selection, the same value for as long as it is unchanged,
 * and whose methods are bound and stable. No selector layer: one hook where `useStore` runs
 * five and an effect. When one row of a long list re-renders, the row's hooks are most of what
 * the commit costs beyond React's own (bench case 3), so `useRecord` and `useDoc` read through this.
 */
export function useStoreValue<S>(store: ExternalStore<S>): S {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
}
