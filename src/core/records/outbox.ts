import type { OutboxEntry, RecordCache } from '../cache/types.js'
import { SyncError } from '../errors.js'
import type { RecordWriteResult } from './recordWriter.js'

export type { OutboxEntry } from '../cache/types.js'

export interface OutboxOptions {
  /** Without a cache the outbox lives in memory only (and `isSavedLocally` stays false while it has entries). */
  cache: RecordCache | undefined
  /** The watch's cache key. */
  key: string
  /** Entries or their states changed (the optimistic view must be rebuilt). */
  changed(): void
  /** A cache failure: reported, never thrown. */
  error(error: unknown): void
  /** Entries already read from the cache (stored, so not unsaved), oldest first. */
  initial?: readonly OutboxEntry<unknown>[] | undefined
}

interface Waiter {
  resolve(result: RecordWriteResult | undefined): void
  reject(error: SyncError): void
}

/**
 * The durable queue of one store's record writes: entries in `id` (creation) order, each
 * written to the cache as soon as it is made and removed once the server has accepted it.
 * It decides nothing about the network; `outboxSender.ts` (loaded on first use) sends it.
 *
 * Cache writes run on one promise chain, so a save and the delete that follows it land in
 * order, and a reload from the cache reads after them.
 */
export class Outbox {
  readonly #o: OutboxOptions
  #entries: OutboxEntry<unknown>[] = []
  /** Ids whose latest state is not in the cache yet. */
  #unsaved = new Set<string>()
  /** Ids accepted (or discarded) here: a reload that read the cache before their removal landed must not bring them back. */
  #finished = new Set<string>()
  #waiters = new Map<string, Waiter>()
  #chain: Promise<void> = Promise.resolve()

  constructor(options: OutboxOptions) {
    this.#o = options
    if (options.initial) this.#entries = [...options.initial].sort(byId)
  }

  entries(): readonly OutboxEntry<unknown>[] {
    return this.#entries
  }

  /** Writes not yet accepted and not refused: what `pending` counts. */
  get pendingCount(): number {
    let pending = 0
    for (const entry of this.#entries) if (!entry.failed) pending++
    return pending
  }

  /** Every entry is in the cache (true when there are none). */
  get isSavedLocally(): boolean {
    return this.#entries.length === 0 || (this.#o.cache !== undefined && this.#unsaved.size === 0)
  }

  /** The next entry to send: the oldest one the server has not refused. */
  next(): OutboxEntry<unknown> | undefined {
    return this.#entries.find((entry) => !entry.failed)
  }

  has(id: string): boolean {
    return this.#entries.some((entry) => entry.id === id)
  }

  /**
   * Queues a write (see `newOutboxEntry`), shows it at once, and stores it; the promise settles
   * when the server answers. An entry already here (read back from the cache) keeps its place.
   */
  add(entry: OutboxEntry<unknown>): Promise<RecordWriteResult | undefined> {
    const settled = new Promise<RecordWriteResult | undefined>((resolve, reject) => this.#waiters.set(entry.id, { resolve, reject }))
    settled.catch(() => {}) // see `handled` in recordWrites.ts
    if (this.#finished.has(entry.id) || this.has(entry.id)) return settled
    this.#entries = [...this.#entries, entry].sort(byId)
    this.#save(entry)
    this.#o.changed()
    return settled
  }

  /** The server accepted `entry`: it leaves the queue (and the cache), and its promise resolves. */
  accepted(entry: OutboxEntry<unknown>, result: RecordWriteResult | undefined): void {
    this.#remove(entry.id)
    this.#waiters.get(entry.id)?.resolve(result)
    this.#waiters.delete(entry.id)
  }

  /** A send failed: `refused` (4xx) waits for `retry`/`discard` and rejects the write's promise; otherwise it is tried again later. */
  failed(entry: OutboxEntry<unknown>, error: SyncError, refused: boolean): void {
    const lastError = { code: error.code, message: error.message, ...(error.status !== undefined && { status: error.status }) }
    this.#replace(entry.id, (current) => ({ ...current, tries: current.tries + 1, lastError, ...(refused && { failed: true }) }))
    if (!refused) return
    this.#waiters.get(entry.id)?.reject(error)
    this.#waiters.delete(entry.id)
  }

  /** Sends refused writes with `rkey` again. Returns whether there was one. */
  retry(rkey: string): boolean {
    let found = false
    for (const entry of this.#entries) {
      if (entry.rkey !== rkey || !entry.failed) continue
      found = true
      this.#replace(entry.id, ({ failed: _failed, ...rest }) => rest)
    }
    return found
  }

  /** Drops every write with `rkey`, refused or pending; their promises reject with `'aborted'`. */
  discard(rkey: string): boolean {
    const dropped = this.#entries.filter((entry) => entry.rkey === rkey)
    for (const entry of dropped) {
      this.#remove(entry.id)
      this.#waiters.get(entry.id)?.reject(new SyncError('aborted', `The write of ${rkey} was discarded`))
      this.#waiters.delete(entry.id)
    }
    return dropped.length > 0
  }

  /**
   * Takes in what the cache holds now: entries another tab (or the last session) queued show
   * here, and entries it has sent or discarded go. Our own unsaved states win.
   */
  reload(): Promise<void> {
    const cache = this.#o.cache
    if (!cache) return Promise.resolve()
    const read = this.#chain.then(() => cache.loadOutbox<unknown>(this.#o.key))
    this.#chain = read.then(
      (stored) => this.#merge(stored),
      (error: unknown) => this.#o.error(error),
    )
    return this.#chain
  }

  /** Resolves once every cache write so far has landed (or failed and been reported). */
  flush(): Promise<void> {
    return this.#chain
  }

  #merge(stored: readonly OutboxEntry<unknown>[]): void {
    const mine = new Map(this.#entries.map((entry) => [entry.id, entry]))
    const storedIds = new Set(stored.map((entry) => entry.id))
    const next: OutboxEntry<unknown>[] = []
    for (const entry of stored) {
      if (this.#finished.has(entry.id)) continue
      const current = mine.get(entry.id)
      next.push(current !== undefined && this.#unsaved.has(entry.id) ? current : entry)
    }
    for (const entry of this.#entries) if (!storedIds.has(entry.id) && this.#unsaved.has(entry.id)) next.push(entry)
    next.sort(byId)
    this.#settleFinishedElsewhere(stored, storedIds)
    const same = next.length === this.#entries.length && next.every((entry, i) => sameEntry(entry, this.#entries[i]!))
    if (same) return
    // Unchanged entries keep their objects, so the optimistic view keeps its records too.
    this.#entries = next.map((entry) => {
      const current = mine.get(entry.id)
      return current !== undefined && sameEntry(current, entry) ? current : entry
    })
    this.#o.changed()
  }

  /**
   * Another tab sent (or refused) an entry this store queued: its promise settles here too. An
   * entry that left the cache was accepted there (the cache cannot tell a discard apart), so
   * it resolves without the server's answer; one the server refused rejects with its error.
   */
  #settleFinishedElsewhere(stored: readonly OutboxEntry<unknown>[], storedIds: ReadonlySet<string>): void {
    for (const entry of this.#entries) {
      const waiter = this.#waiters.get(entry.id)
      if (waiter === undefined || this.#unsaved.has(entry.id) || storedIds.has(entry.id)) continue
      this.#waiters.delete(entry.id)
      waiter.resolve(undefined)
    }
    for (const entry of stored) {
      const waiter = this.#waiters.get(entry.id)
      // `failed` writes keep their `lastError` (see `failed` above).
      if (waiter === undefined || !entry.failed || !entry.lastError || this.#unsaved.has(entry.id)) continue
      this.#waiters.delete(entry.id)
      const { code, message, status } = entry.lastError
      waiter.reject(new SyncError(code, message, status === undefined ? undefined : { status }))
    }
  }

  #replace(id: string, update: (entry: OutboxEntry<unknown>) => OutboxEntry<unknown>): void {
    let updated: OutboxEntry<unknown> | undefined
    this.#entries = this.#entries.map((entry) => (entry.id === id ? (updated = update(entry)) : entry))
    if (updated === undefined) return
    this.#save(updated)
    this.#o.changed()
  }

  #remove(id: string): void {
    if (!this.has(id)) return
    this.#entries = this.#entries.filter((entry) => entry.id !== id)
    this.#finished.add(id)
    this.#unsaved.delete(id)
    const cache = this.#o.cache
    if (cache) this.#chain = this.#chain.then(() => cache.deleteOutboxEntry(this.#o.key, id)).catch((error: unknown) => this.#o.error(error))
    this.#o.changed()
  }

  #save(entry: OutboxEntry<unknown>): void {
    const cache = this.#o.cache
    if (!cache) return
    this.#unsaved.add(entry.id)
    this.#chain = this.#chain
      .then(() => cache.saveOutboxEntry(this.#o.key, entry))
      .then(
        () => {
          // Only if this is still the latest state of the entry: a later change is still on its way.
          if (this.#entries.find((current) => current.id === entry.id) !== entry) return
          this.#unsaved.delete(entry.id)
          this.#o.changed()
        },
        (error: unknown) => this.#o.error(error),
      )
  }
}

const byId = (a: OutboxEntry<unknown>, b: OutboxEntry<unknown>): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

function sameEntry(a: OutboxEntry<unknown>, b: OutboxEntry<unknown>): boolean {
  return a === b || (a.id === b.id && a.tries === b.tries && a.failed === b.failed && a.lastError?.message === b.lastError?.message)
}
