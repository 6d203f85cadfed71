'use client'
import { useEffect, useMemo, useRef } from 'react'
import { useSyncExternalStore } from './syncExternalStore.js'

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
 * What React's `useSyncExternalStoreWithSelector` (use-sync-external-store/with-selector) does,
 * written here as ESM (see syncExternalStore.ts): `selector` runs only when the store hands
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
  const committed = useRef<{ selection: S } | null>(null)
  const [getSelection, getServerSelection] = useMemo(() => {
    // The last snapshot this render's selector saw, and what it selected from it.
    const memo: { last?: { snapshot: T; selection: S } } = {}
    const select = (snapshot: T): S => {
      const last = memo.last
      if (last === undefined) {
        const next = selector(snapshot)
        // A new selector (an inline one, every render) keeps the committed selection if equal.
        const selection = committed.current !== null && isEqual(committed.current.selection, next) ? committed.current.selection : next
        memo.last = { snapshot, selection }
        return selection
      }
      if (Object.is(last.snapshot, snapshot)) return last.selection
      const next = selector(snapshot)
      memo.last = { snapshot, selection: isEqual(last.selection, next) ? last.selection : next }
      return memo.last.selection
    }
    return [() => select(getSnapshot()), () => select(getServerSnapshot())]
  }, [getSnapshot, getServerSnapshot, selector, isEqual])
  const selection = useSyncExternalStore(store.subscribe, getSelection, getServerSelection)
  useEffect(() => {
    committed.current = { selection }
  }, [selection])
  return selection
}

