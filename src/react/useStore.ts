'use client'
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react'

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
 *
 * The structure follows React's `useSyncExternalStoreWithSelector`: each set of getters
 * keeps its own memo, and the only state shared across renders is the committed selection,
 * written in an effect. A render that React throws away (a suspended transition, say) can
 * therefore never change what the committed getters return.
 */
export function useStore<T, S>(
  store: ExternalStore<T>,
  selector: (snapshot: T) => S,
  isEqual: (a: S, b: S) => boolean = Object.is,
): S {
  const [committed] = useState(() => new CommittedSelection<S>())
  const [getSelection, getServerSelection] = useMemo(() => selectionGetters(store, selector, isEqual, committed), [store, selector, isEqual, committed])
  const selection = useSyncExternalStore(store.subscribe, getSelection, getServerSelection)
  useEffect(() => {
    committed.commit(selection)
  }, [committed, selection])
  return selection
}

/** What the last committed render showed; only an effect writes it, never a render. */
class CommittedSelection<S> {
  #last: { selection: S } | null = null

  read(): { selection: S } | null {
    return this.#last
  }

  commit(selection: S): void {
    this.#last = { selection }
  }
}

function selectionGetters<T, S>(
  store: ExternalStore<T>,
  selector: (snapshot: T) => S,
  isEqual: (a: S, b: S) => boolean,
  committed: CommittedSelection<S>,
): readonly [() => S, () => S] {
  // Local to these getters: a new selector may pick something else from the same
  // snapshot, so it starts without a memo and runs once.
  let memo: { snapshot: T; selection: S } | null = null
  const select = (snapshot: T): S => {
    if (memo !== null && Object.is(memo.snapshot, snapshot)) return memo.selection
    const next = selector(snapshot)
    // Compare with this getter's last selection, or, for a fresh getter (a new inline
    // selector), with what is on screen, so memoized children and effect dependencies hold.
    const previous = memo ?? committed.read()
    const selection = previous !== null && isEqual(previous.selection, next) ? previous.selection : next
    memo = { snapshot, selection }
    return selection
  }
  return [() => select(store.getSnapshot()), () => select(store.getServerSnapshot())]
}
