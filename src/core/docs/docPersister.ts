import type { DocCache, DocCacheChunk } from '../cache/types.js'
import { errorMessage, SyncError } from '../errors.js'
import type { Automerge, Doc, Heads } from './automerge.js'

/** When to fold the incremental chunks into one snapshot. */
export interface CompactionPolicy {
  /** Compact once the chunks add up to more than this many bytes, or more than the snapshot. @default 65536 */
  minBytes: number
  /** Compact once there are more chunks than this, whatever their size. @default 256 */
  maxChunks: number
}

export const defaultCompaction: CompactionPolicy = { minBytes: 64 * 1024, maxChunks: 256 }

export interface DocPersisterOptions {
  cache: DocCache
  documentId: string
  automerge: Automerge
  compaction?: CompactionPolicy | undefined
  /** The document as it is now; read when a write starts, so a burst of changes makes one chunk. */
  current(): Doc<unknown>
  /** What is in the cache changed (`isSaved` may answer differently). */
  saved(): void
  /** Another writer (tab, connection) stored chunks this one has not seen. */
  foreignChunks(chunks: DocCacheChunk[]): void
  error(error: SyncError): void
}

let keyCounter = 0

/**
 * Keeps one document in a `DocCache`: appends what changed since the last write as a small
 * incremental chunk (`Automerge.saveSince`), and only when those chunks outgrow the
 * snapshot (or their count passes a bound) writes one full `save` that replaces exactly the
 * chunks this writer has merged. A large document is therefore never rewritten per
 * keystroke, and a chunk written by another tab is never dropped.
 *
 * All cache I/O runs on one promise chain, so writes, compactions and reloads never overlap.
 */
export class DocPersister {
  readonly #options: DocPersisterOptions
  readonly #A: Automerge
  readonly #policy: CompactionPolicy
  /** Chunks this writer has written or merged, by key, with their kind and size. */
  readonly #known = new Map<string, { kind: DocCacheChunk['kind']; bytes: number }>()
  #persistedHeads: Heads = []
  #chain: Promise<void> = Promise.resolve()
  #writeQueued = false
  #unwatch: (() => void) | null = null

  constructor(options: DocPersisterOptions) {
    this.#options = options
    this.#A = options.automerge
    this.#policy = options.compaction ?? defaultCompaction
  }

  /** Listens for other writers of this document; `foreignChunks` gets what they write. */
  watch(): void {
    const { cache, documentId } = this.#options
    this.#unwatch ??= cache.watchDocs((id, keys) => {
      if (id === documentId && keys.some((key) => !this.#known.has(key))) this.#enqueue(() => this.#reload())
    })
  }

  /** Reads every stored chunk once; the caller merges them. On the chain, so a reload waits for it. */
  load(): Promise<DocCacheChunk[]> {
    const { cache, documentId } = this.#options
    const loaded = this.#chain.then(async () => {
      const chunks = await cache.loadDoc(documentId)
      for (const chunk of chunks) this.#known.set(chunk.key, { kind: chunk.kind, bytes: chunk.data.byteLength })
      return chunks
    })
    this.#chain = loaded.then(
      () => undefined,
      () => undefined,
    )
    return loaded
  }

  /** The cache holds these heads (the caller has merged what `load`/`foreignChunks` gave it). */
  markPersisted(heads: Heads): void {
    this.#persistedHeads = heads
  }

  /** How many chunks the cache holds for the document, as this writer knows them (devtools). */
  get chunkCount(): number {
    return this.#known.size
  }

  isSaved(heads: Heads): boolean {
    return sameHeads(heads, this.#persistedHeads)
  }

  /** Writes the current document soon: after the current task, coalesced with any write already queued. */
  schedule(): void {
    if (this.#writeQueued) return
    this.#writeQueued = true
    this.#enqueue(() => {
      this.#writeQueued = false
      return this.#write()
    })
  }

  /** Resolves when everything scheduled so far is written (or has failed and been reported). */
  flush(): Promise<void> {
    return this.#chain
  }

  /** Stops listening for other writers once pending writes are done. */
  async close(): Promise<void> {
    this.#unwatch?.()
    this.#unwatch = null
    await this.#chain
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task).catch((error: unknown) => {
      this.#options.error(new SyncError('unavailable', `The document cache failed: ${errorMessage(error)}`, { cause: error }))
    })
  }

  async #write(): Promise<void> {
    const A = this.#A
    const doc = this.#options.current()
    const heads = A.getHeads(doc)
    if (sameHeads(heads, this.#persistedHeads)) return
    let chunk: DocCacheChunk
    let replaces: string[] = []
    const increment = this.#known.size === 0 ? null : A.saveSince(doc, this.#persistedHeads)
    if (increment !== null && !this.#shouldCompact(increment.byteLength)) {
      chunk = { key: newKey('i'), kind: 'incremental', data: increment }
    } else {
      // Everything this writer knows is in `doc`, so exactly those chunks can go.
      chunk = { key: newKey('s'), kind: 'snapshot', data: A.save(doc) }
      replaces = [...this.#known.keys()]
    }
    // Known before it is written: the cache announces the write, and its own write must
    // not look foreign (that would reload the whole document per keystroke).
    this.#known.set(chunk.key, { kind: chunk.kind, bytes: chunk.data.byteLength })
    try {
      await this.#options.cache.saveDocChunk(this.#options.documentId, chunk, replaces)
    } catch (error) {
      this.#known.delete(chunk.key)
      throw error
    }
    for (const key of replaces) this.#known.delete(key)
    this.#persistedHeads = heads
    this.#options.saved()
  }

  #shouldCompact(nextBytes: number): boolean {
    let snapshotBytes = 0
    let chunkBytes = nextBytes
    let chunks = 1
    for (const { kind, bytes } of this.#known.values()) {
      if (kind === 'snapshot') snapshotBytes += bytes
      else {
        chunkBytes += bytes
        chunks++
      }
    }
    return chunks > this.#policy.maxChunks || chunkBytes > Math.max(this.#policy.minBytes, snapshotBytes)
  }

  async #reload(): Promise<void> {
    const chunks = await this.#options.cache.loadDoc(this.#options.documentId)
    const fresh = chunks.filter((chunk) => !this.#known.has(chunk.key))
    if (fresh.length === 0) return
    for (const chunk of fresh) this.#known.set(chunk.key, { kind: chunk.kind, bytes: chunk.data.byteLength })
    this.#options.foreignChunks(fresh)
  }
}

export function sameHeads(a: Heads, b: Heads): boolean {
  if (a.length !== b.length) return false
  if (a.length === 1) return a[0] === b[0]
  const set = new Set(a)
  return b.every((head) => set.has(head))
}

/** Sortable by time, unique across tabs. */
function newKey(prefix: 's' | 'i'): string {
  const random = Math.random().toString(36).slice(2, 10)
  return `${prefix}-${Date.now().toString(36).padStart(9, '0')}-${(keyCounter++).toString(36)}-${random}`
}
