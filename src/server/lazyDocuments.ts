import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { isSyncError } from '../core/errors.js'
import { LazyModule } from '../core/lazyModule.js'
import type { DocumentMount, DocumentMountOptions } from './docs/mount.js'
import type { OperationInfo } from './events.js'
import { HttpError } from './http.js'
import { importOptionalPeer } from './optionalPeer.js'

/** What the rest of the server asks of the documents half, loaded or not. */
export interface DocumentsHalf {
  /** Joined document peers (0 until the first document connection). */
  readonly peerCount: number
  /** Open document sockets, joined or not (for the server's connection limit). */
  readonly connectionCount: number
  /** Loads the half if `@automerge/automerge` is installed; resolves either way. */
  preload(): Promise<void>
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, op: OperationInfo): Promise<void>
  revoke(filter: { request: (request: IncomingMessage) => boolean; documentId?: string }): number
  refreshFromStorage(documentId: string): Promise<void>
  applyRemoteChanges(documentId: string, changes: Uint8Array): void
  refreshAllFromStorage(): Promise<void>
  close(): Promise<void>
}

/**
 * The documents half's modules: `@automerge/automerge` (an optional peer) and docs/. Their
 * import starts when this module is imported, as the static import it replaces did, and a
 * failure is kept for the first document connection to report. The timing matters in a
 * process that also runs syncline's client (tests, a Node app): Automerge's main entry,
 * evaluated after the client's `/slim` one has initialized its wasm, starts a second wasm
 * instance, and the client's sync states then fail ("expected instance of SyncState").
 */
const documentsModules = new LazyModule(async () => {
  await importOptionalPeer('@automerge/automerge', 'Automerge documents (a server that serves only records does not need it)', () => import('@automerge/automerge'))
  return import('./docs/mount.js')
})
documentsModules.load().catch(() => {})

/**
 * What the rest of the server sees of the documents half. `start()` waits for its modules
 * (so the first document connection does not wait for Automerge's wasm); without
 * `@automerge/automerge` the server serves records, and a document connection is refused with
 * 501 and a message (also sent to `onError`, once) saying what to install.
 *
 * Until it has loaded, no document is in memory and no peer is connected, so revokes, refreshes
 * and other instances' changes have nothing to act on here: storage already holds what the
 * first connection will load.
 */
export function lazyDocuments(options: DocumentMountOptions & { onError: (error: unknown) => void }): DocumentsHalf {
  const half = new LazyModule<DocumentMount>(async () => (await documentsModules.load()).mountDocuments(options))
  /** The load under way or done (start() or a document connection); `close()` waits for it. */
  let loading: Promise<DocumentMount> | null = null
  let reportedMissing = false

  return {
    get peerCount() {
      return half.loaded?.service.peerCount ?? 0
    },
    get connectionCount() {
      return half.loaded?.service.connectionCount ?? 0
    },
    async preload() {
      await (loading ??= half.load()).then(
        () => {},
        (error: unknown) => {
          // Without Automerge the server serves records; document connections get the 501.
          if (!(isSyncError(error) && error.code === 'unavailable')) throw error
          loading = null
        },
      )
    },
    async upgrade(req, socket, head, url, op) {
      op.type = 'connect'
      let mount: DocumentMount
      try {
        mount = await (loading = half.load())
      } catch (error) {
        // A missing package is said once; anything else is a fault each time.
        const missing = isSyncError(error) && error.code === 'unavailable'
        if (!missing || !reportedMissing) options.onError(error)
        reportedMissing ||= missing
        throw new HttpError(501, 'DocumentsUnavailable', error instanceof Error ? error.message : 'This server cannot serve documents')
      }
      return mount.upgrade(req, socket, head, url, op)
    },
    revoke: (filter) => half.loaded?.service.revoke(filter) ?? 0,
    refreshFromStorage: async (documentId) => half.loaded?.service.refreshFromStorage(documentId),
    applyRemoteChanges: (documentId, changes) => half.loaded?.service.applyRemoteChanges(documentId, changes),
    refreshAllFromStorage: async () => half.loaded?.service.refreshAllFromStorage(),
    async close() {
      // A load still under way finishes first, so that its sockets close too.
      const mount = await loading?.catch(() => null)
      await mount?.close()
    },
  }
}
