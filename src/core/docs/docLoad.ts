import type { DocCacheChunk } from '../cache/types.js'
import { SyncError, toSyncError } from '../errors.js'
import type { Automerge, Doc } from './automerge.js'
import type { DocPersister } from './docPersister.js'

/** How a store came to be: `open()` of an id, or `create()` with an initial value. */
export type DocOrigin = { kind: 'open' } | { kind: 'create'; initial: unknown }

/** Never an empty document: the server would take a `sync` from it for a missing document. */
export function createDoc<T>(A: Automerge, initial: unknown): Doc<T> {
  if (initial === undefined) return A.emptyChange(A.init<T>())
  return A.from(initial as Record<string, unknown>) as Doc<T>
}

/**
 * The document a store starts from once Automerge is here: a created one (built already if
 * Automerge was loaded at `create()`) with the changes made while it loaded, or an empty one
 * that the cache and the server fill. A queued change that throws is reported and skipped.
 */
export function startingDoc<T>(A: Automerge, origin: DocOrigin, built: Doc<T> | null, queued: ReadonlyArray<(doc: T) => void>, ignored: (error: unknown) => void): Doc<T> {
  if (origin.kind === 'open') return A.init<T>()
  let doc = built ?? createDoc<T>(A, origin.initial)
  for (const fn of queued) {
    try {
      doc = A.change(doc, fn)
    } catch (error) {
      ignored(error)
    }
  }
  return doc
}

/** Merges cached chunks into `doc`; one Automerge cannot load is reported and skipped. */
export function mergeChunks<T>(A: Automerge, doc: Doc<T>, chunks: readonly DocCacheChunk[], url: string, failed: (error: SyncError) => void): Doc<T> {
  for (const chunk of chunks) {
    try {
      doc = A.loadIncremental(doc, chunk.data)
    } catch (error) {
      failed(new SyncError('unavailable', `A cached chunk of ${url} could not be loaded; it was skipped`, { cause: error }))
    }
  }
  return doc
}

/**
 * Starts `persister` listening for other writers, then (for an opened document) merges what
 * the cache holds. Listening starts first, so nothing written in between is missed.
 */
export async function readCache<T>(persister: DocPersister, origin: DocOrigin, doc: Doc<T>, merge: (chunks: readonly DocCacheChunk[]) => Doc<T>, failed: (error: SyncError) => void): Promise<Doc<T>> {
  persister.watch()
  if (origin.kind !== 'open') return doc
  try {
    return merge(await persister.load())
  } catch (error) {
    failed(toSyncError(error, 'unavailable'))
    return doc
  }
}
