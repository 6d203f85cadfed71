import type { DocCache } from '../cache/types.js'
import type { Automerge } from './automerge.js'
import type { CompactionPolicy } from './docPersister.js'
import type * as DocEngineCode from './docEngine.js'
import type { SyncLink } from './sessionPort.js'

/** Automerge (`A`) and the code that works on loaded documents: they load together (docEngine.ts). */
export type DocEngine = typeof DocEngineCode & { readonly A: Automerge }

/** What stays the same for every document of a connection. */
export interface DocContext {
  readonly peerId: string
  readonly cache: DocCache | undefined
  readonly compaction: CompactionPolicy | undefined
  /**
   * Loads Automerge and the document code. Rejects with a SyncError: `'unavailable'` when
   * Automerge cannot be loaded, `'network'` when syncline's own chunk could not be fetched.
   */
  engine(): Promise<DocEngine>
  /** The engine, if it has finished loading. */
  engineIfLoaded(): DocEngine | null
  /** Resolves once a load succeeds: after a `'network'` failure, the connection's next attempt fetches it again. */
  engineArrived(): Promise<DocEngine>
  /** Reported through `onIgnoredError` only. */
  ignored(error: unknown): void
}

/** What a document store needs from its connection. */
export interface DocLink extends SyncLink {
  readonly context: DocContext
}
