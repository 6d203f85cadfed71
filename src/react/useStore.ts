'use client'
// The shim is CommonJS: a default import is the form every bundler and Node's ESM loader agree on.
import { useMemo } from 'react'
import withSelector from 'use-sync-external-store/shim/with-selector.js'

/** The useSyncExternalStore contract, plus the snapshot to use while rendering on a server. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void
  getSnapshot(): T
  /** What the server rendered; also used while hydrating, so it must not depend on the client's state. */
  getServerSnapshot(): T
}

/**
 * The one place syncline subscribes to a store; every hook, presence included, reads through it
 * (or through `useStoreValue` in useStoreValue.ts, for stores that hand out the selection
 * themselves; it is a module of its own so that apps without a selector hook load no selector shim).
 *
 * React's own `useSyncExternalStoreWithSelector` (from `use-sync-external-store`, whose shim
 * also brings `useSyncExternalStore` to React 17): `selector` runs only when the store hands
 * out a new snapshot reference, and when `isEqual(previous, next)` holds the previous
 * selection is returned unchanged, so React sees the same value and skips the re-render.
 * Selectors and comparators may be inline functions. The selection it compares against is
 * the committed one, written in an effect, so a render React throws away (a suspended
 * transition, say) never changes what the committed getters return.
 */
export function useStore<T, S>(
  store: ExternalStore<T>,
  selector: (snapshot: T) => S,
  isEqual: (a: S, b: S) => boolean = Object.is,
): S {
  // Stores may be class instances whose getters read `this`; bind them once per store.
  const [getSnapshot, getServerSnapshot] = useMemo(() => [() => store.getSnapshot(), () => store.getServerSnapshot()] as const, [store])
  return withSelector.useSyncExternalStoreWithSelector(store.subscribe, getSnapshot, getServerSnapshot, selector, isEqual)
}

