'use client'
// A namespace import: on React 17 `useSyncExternalStore` is missing, and a named import of a
// missing export fails to link under Node's ESM loader (server rendering), where this one
// reads as undefined.
import * as React from 'react'
import { useEffect, useLayoutEffect, useReducer, useRef } from 'react'

type Subscribe = (onStoreChange: () => void) => () => void
type UseSyncExternalStore = <T>(subscribe: Subscribe, getSnapshot: () => T, getServerSnapshot?: () => T) => T

interface Subscription<T> {
  value: T
  getSnapshot: () => T
}

function rerenderIfChanged<T>(subscription: Subscription<T>, rerender: () => void): void {
  let changed: boolean
  try {
    changed = !Object.is(subscription.value, subscription.getSnapshot())
  } catch {
    // A getter that throws re-renders, so that the render throws where an error boundary sees it.
    changed = true
  }
  if (changed) rerender()
}

/**
 * React 17 has no `useSyncExternalStore`; this is the fallback React's own shim
 * (use-sync-external-store/shim) uses, written as ESM: that package is CommonJS, and the
 * interop helpers a bundler wraps it in cost the page more than the shim itself. It subscribes
 * in an effect and re-checks the snapshot after every commit, so no change between the
 * render and the subscription is missed. Exported for its tests, which run on React 19.
 */
export function useSubscribedSnapshot<T>(subscribe: Subscribe, getSnapshot: () => T): T {
  const value = getSnapshot()
  const subscription = useRef<Subscription<T>>({ value, getSnapshot })
  const [, forceUpdate] = useReducer((renders: number) => renders + 1, 0)
  useLayoutEffect(() => {
    subscription.current = { value, getSnapshot }
    rerenderIfChanged(subscription.current, forceUpdate)
  }, [subscribe, value, getSnapshot])
  useEffect(() => {
    const check = (): void => rerenderIfChanged(subscription.current, forceUpdate)
    check()
    return subscribe(check)
  }, [subscribe])
  return value
}

/** Without a DOM (React 17 rendering on a server) there is nothing to subscribe to, as in React's shim. */
const renderOnce: UseSyncExternalStore = (_subscribe, getSnapshot) => getSnapshot()

const onServer = typeof window === 'undefined' || typeof window.document?.createElement === 'undefined'

/** React's own hook from React 18 on; on React 17, the same fallback as React's shim. */
export const useSyncExternalStore: UseSyncExternalStore =
  (React as { useSyncExternalStore?: UseSyncExternalStore }).useSyncExternalStore ?? (onServer ? renderOnce : useSubscribedSnapshot)
