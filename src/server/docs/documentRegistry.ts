import * as A from '@automerge/automerge'
import type { DocStorage } from '../storage/types.js'
import { measureStoredDocument, OP_COST_BYTES, TooLargeError } from './changeSize.js'
import { describe } from './protocol.js'
import { SyncedDocument } from './syncedDocument.js'

export interface DocumentRegistryOptions {
  storage: DocStorage
  serverPeerId: string
  saveDebounceMs: number
  maxDocumentBytes: number
  maxSyncMessageBytes: number
  reportError: (error: unknown) => void
  onStored?: ((documentId: string) => void) | undefined
  onChanged?: ((documentId: string, changes: Uint8Array) => void) | undefined
}

/**
 * The documents in server memory, keyed by id: each is loaded from storage once however
 * many peers ask at the same time, and dropped when no peer uses it and it is saved.
 */
export class DocumentRegistry {
  readonly #documents = new Map<string, SyncedDocument>()
  readonly #loading = new Map<string, Promise<SyncedDocument>>()
  readonly #options: DocumentRegistryOptions
  #closing: Promise<void> | undefined

  constructor(options: DocumentRegistryOptions) {
    this.#options = options
  }

  /** A document already in memory, if any. */
  get(documentId: string): SyncedDocument | undefined {
    return this.#documents.get(documentId)
  }

  /**
   * The document, loading it first if needed. The caller must `attach` a peer to it or
   * `release` it, so that an unused document does not stay in memory.
   */
  open(documentId: string): Promise<SyncedDocument> {
    const document = this.#documents.get(documentId)
    if (document) return Promise.resolve(document)
    let loading = this.#loading.get(documentId)
    if (!loading) {
      loading = this.#load(documentId).finally(() => this.#loading.delete(documentId))
      this.#loading.set(documentId, loading)
    }
    return loading
  }

  /** Reloads a document in memory from storage (another instance changed it); a no-op otherwise. */
  async refresh(documentId: string): Promise<void> {
    const document = this.#documents.get(documentId)
    if (!document) return
    const binary = await this.#options.storage.loadDoc(documentId)
    if (binary !== undefined && binary.byteLength > 0) document.mergeStored(binary)
  }

  /** Applies changes another instance received, if the document is in memory here. */
  applyRemote(documentId: string, changes: Uint8Array): void {
    this.#documents.get(documentId)?.applyRemote(changes)
  }

  /** Every document in memory, for a full resync after missed notices. */
  get ids(): string[] {
    return [...this.#documents.keys()]
  }

  /** Drops the document from memory if nobody uses it and nothing is left to save. */
  release(document: SyncedDocument): void {
    if (document.isIdle && this.#documents.get(document.documentId) === document) this.#documents.delete(document.documentId)
  }

  /** Settles once `close` has finished; undefined before it was called. */
  get closed(): Promise<void> | undefined {
    return this.#closing
  }

  /** Waits for loads under way, then writes every pending change. Never rejects. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#loading.values()])
      await Promise.all([...this.#documents.values()].map((document) => document.close()))
    })()
    return this.#closing
  }

  /**
   * The estimated loaded size of a stored binary, measured before loading it: one larger than
   * the limit is refused (and left in storage) rather than expanded in memory. NaN when the
   * bytes cannot be measured (Automerge's own load then decides).
   */
  #storedSize(documentId: string, binary: Uint8Array): number {
    const { maxDocumentBytes } = this.#options
    try {
      return Math.max(1, measureStoredDocument(binary, maxDocumentBytes))
    } catch (error) {
      if (error instanceof TooLargeError) throw new Error(`Stored document ${documentId} is larger than the limit of ${maxDocumentBytes} bytes (estimated once loaded)`, { cause: error })
      return Number.NaN
    }
  }

  async #load(documentId: string): Promise<SyncedDocument> {
    const { storage, reportError } = this.#options
    let binary: Uint8Array | undefined
    try {
      binary = await storage.loadDoc(documentId)
    } catch (error) {
      throw new Error(`Loading document ${documentId} from storage failed: ${describe(error)}`, { cause: error })
    }
    const size = binary === undefined || binary.byteLength === 0 ? 0 : this.#storedSize(documentId, binary)
    let doc: A.Doc<unknown>
    try {
      doc = size === 0 ? A.init() : A.load(binary!)
    } catch (error) {
      // A corrupt binary stays as it is in storage: overwriting it could lose what is left.
      throw new Error(`Stored document ${documentId} could not be loaded: ${describe(error)}`, { cause: error })
    }
    const document = new SyncedDocument({
      ...this.#options,
      documentId,
      doc,
      // Data this server could not measure but Automerge loaded: count what it holds now.
      size: Number.isNaN(size) ? binary!.byteLength + OP_COST_BYTES * A.stats(doc).numOps : size,
      reportError,
      onIdle: (idle) => this.release(idle),
    })
    // Registered before any opener resumes, so concurrent opens share it.
    this.#documents.set(documentId, document)
    return document
  }
}
