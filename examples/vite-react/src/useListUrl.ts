import { useEffect, useRef, useSyncExternalStore } from 'react'
import { isValidDocumentId, useCreateDoc } from 'syncline'

export interface List {
  items: string[]
}

const subscribeToHash = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

/** The `automerge:` URL in the page address (`#automerge:…`), if it names a valid document. */
function listInHash(): string | undefined {
  const url = decodeURIComponent(location.hash.slice(1))
  return isValidDocumentId(url.replace(/^automerge:/, '')) ? url : undefined
}

/**
 * The shared list's URL, kept in the location hash so that the same address opens the same
 * list in another window. With none there, it creates one and puts it in the hash.
 */
export function useListUrl(): string | undefined {
  // The hash is read through useSyncExternalStore: a pasted address is followed at once.
  const url = useSyncExternalStore(subscribeToHash, listInHash, () => undefined)
  const createDoc = useCreateDoc<List>()
  // StrictMode runs effects twice in development: create one list, not two.
  const created = useRef(false)
  useEffect(() => {
    // Read the address itself, not `url`: during hydration `url` is the server's answer
    // (undefined) even when the address names a list, and this effect runs before the re-render.
    if (listInHash() !== undefined || created.current) return
    created.current = true
    // replace: the address without a list should not stay in the history.
    location.replace(`#${createDoc({ items: [] })}`)
  }, [url, createDoc])
  return url
}
