import type { SyncError } from '../errors.js'
import type { Doc } from './automerge.js'
import type { DocSnapshot, DocStatus } from './types.js'

/** Where a store's document stands, as `nextSnapshot` reads it. */
export interface DocState<T> {
  /** The working document is in memory (it may still be empty). */
  readonly loaded: boolean
  readonly hasHeads: boolean
  readonly unavailable: boolean
  /** The document as published: replaced only when the heads change. */
  readonly published: Doc<T> | undefined
  readonly savedLocal: boolean
  readonly savedServer: boolean
  readonly error: SyncError | null
}

export function docStatus(state: Pick<DocState<unknown>, 'loaded' | 'hasHeads' | 'unavailable'>): DocStatus {
  if (!state.loaded) return 'loading'
  if (state.hasHeads) return 'ready'
  return state.unavailable ? 'unavailable' : 'loading'
}

/** The snapshot for `state`: `previous` itself while nothing a reader sees has changed. */
export function nextSnapshot<T>(previous: DocSnapshot<T>, state: DocState<T>): DocSnapshot<T> {
  const status = docStatus(state)
  const doc = status === 'ready' ? state.published : undefined
  const { savedLocal: local, savedServer: server, error } = state
  const same = previous.status === status && previous.doc === doc && previous.saved.local === local && previous.saved.server === server && previous.error === error
  return same ? previous : { doc, status, saved: { local, server }, error }
}
