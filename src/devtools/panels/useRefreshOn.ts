import { useEffect, useState } from 'react'

/**
 * Re-renders the panel when any of `stores` changes (records, status, saved levels): the
 * event stream does not report those, and a page of older records changes nothing else.
 */
export function useRefreshOn(stores: readonly { subscribe(listener: () => void): () => void }[]): void {
  const [, setVersion] = useState(0)
  // `stores` is a new array each render (inspectStores), so this follows stores opening and closing.
  useEffect(() => {
    const refresh = (): void => setVersion((version) => version + 1)
    const stops = stores.map((store) => store.subscribe(refresh))
    return () => {
      for (const stop of stops) stop()
    }
  }, [stores])
}
