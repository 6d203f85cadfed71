'use client'
// The shim is CommonJS: a default import is the form every bundler and Node's ESM loader agree on.
import shim from 'use-sync-external-store/shim/index.js'
import type { ExternalStore } from './useStore.js'

/**
 * `useSyncExternalStore` itself (the shim's, so React 17 has it too), for a store whose
 * `getSnapshot` already returns the selection, the same value for as long as it is unchanged,
 * and whose methods are bound and stable. No selector layer: one hook where `useStore` runs
 * five and an effect. When one row of a long list re-renders, the row's hooks are most of what
 * the commit costs beyond React's own (bench case 3), so `useRecord` and `useDoc` read through this.
 */
export function useStoreValue<S>(store: ExternalStore<S>): S {
  return shim.useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
}
