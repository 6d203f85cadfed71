'use client'
import { useCallback } from 'react'
import { automergeDocSupport } from '../core/docs/docSupport.js'
import { useSyncContext } from './context.js'

/**
 * Returns a function that creates an Automerge document and returns its `automerge:` URL.
 * The document exists locally at once (hand the URL to `useDoc`), is written to the cache,
 * and syncs to the server even if nothing renders it; offline, it goes out on reconnect.
 *
 * ```tsx
 * const createDoc = useCreateDoc<Todos>()
 * const onNew = () => navigate(`/list/${encodeURIComponent(createDoc({ title: 'Groceries', items: [] }))}`)
 * ```
 * @throws SyncError `'bad-input'` (from the returned function) when `initial` is not an object.
 */
export function useCreateDoc<T>(): (initial?: T) => string {
  const { client } = useSyncContext('useCreateDoc')
  return useCallback((initial?: T) => client.createDoc<T>(initial, automergeDocSupport).url, [client])
}
