// The shim ships no types and @types/use-sync-external-store is not a dependency; these are
// the functions syncline uses, as React documents them.
declare module 'use-sync-external-store/shim/with-selector.js' {
  const withSelector: { useSyncExternalStoreWithSelector: typeof useSyncExternalStoreWithSelector }
  export default withSelector
  export function useSyncExternalStoreWithSelector<Snapshot, Selection>(
    subscribe: (onStoreChange: () => void) => () => void,
    getSnapshot: () => Snapshot,
    getServerSnapshot: undefined | null | (() => Snapshot),
    selector: (snapshot: Snapshot) => Selection,
    isEqual?: (a: Selection, b: Selection) => boolean,
  ): Selection
}

declare module 'use-sync-external-store/shim/index.js' {
  const shim: { useSyncExternalStore: typeof useSyncExternalStore }
  export default shim
  export function useSyncExternalStore<Snapshot>(
    subscribe: (onStoreChange: () => void) => () => void,
    getSnapshot: () => Snapshot,
    getServerSnapshot?: () => Snapshot,
  ): Snapshot
}
