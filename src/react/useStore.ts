'use client'
import { useMemo, useState, useSyncExternalStore } from 'react'

/** The useSyncExternalStore contract, plus the snapshot to use while rendering on a server. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void
  getSnapshot(): T
  /** What the server rendered; also used while hydrating, so it must not depend on the client's state. */
  getServerSnapshot(): T
}

/**
 * The one place syncline calls `useSyncExternalStore`; every hook reads its store through it.
 *
 * `selector` runs only when the store hands out a new snapshot reference, and when
 * `isEqual(previous, next)` holds the previous selection is returned unchanged, so React
 * sees the same value and skips the re-render. Selectors and comparators may be inline
 * functions: a new one is applied on the next render without forcing an update.
 */
export function useStore<T, S>(
  store: ExternalStore<T>,
  selector: (snapshot: T) => S,
  isEqual: (a: S, b: S) => boolean = Object.is,
): S {
  const [memo] = useState(() => new SelectionMemo<T, S>())
  const [getSelection, getServerSelection] = useMemo(() => memo.getters(store, selector, isEqual), [memo, store, selector, isEqual])
  return useSyncExternalStore(store.subscribe, getSelection, getServerSelection)
}

/**
 * Remembers the last selection of one component across selector identities: a component
 * that passes a new inline selector every render still gets the previous reference back
 * when the new selection is equal, so memoized children and effect dependencies hold.
 */
class SelectionMemo<T, S> {
  #last: { snapshot: T; selection: S } | null = null

  getters(store: ExternalStore<T>, selector: (snapshot: T) => S, isEqual: (a: S, b: S) => boolean): readonly [() => S, () => S] {
    // A new selector may pick something else from the same snapshot, so it must run once.
    let selectorHasRun = false
    const select = (snapshot: T): S => {
      const last = this.#last
      if (last !== null && selectorHasRun && Object.is(last.snapshot, snapshot)) return last.selection
      selectorHasRun = true
      const next = selector(snapshot)
      const selection = last !== null && isEqual(last.selection, next) ? last.selection : next
      this.#last = { snapshot, selection }
      return selection
    }
    return [() => select(store.getSnapshot()), () => select(store.getServerSnapshot())]
  }
}
