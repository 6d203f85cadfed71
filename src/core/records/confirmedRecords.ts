import { authorKey, confirmedKey, sameRecord } from './recordKey.js'
import { SortedView } from './sortedView.js'
import type { WatchRecord } from './types.js'

/**
 * The records the server has confirmed, with snapshot reconciliation: while a snapshot is in
 * flight every key it mentions is noted, and at its end everything else is evicted. Until
 * then old records stay visible, so a reconnect never blanks the list.
 */
export class ConfirmedRecords<V> {
  #byKey = new Map<string, WatchRecord<V>>()
  /**
   * did+rkey → confirmed key, so deletes by did/rkey and optimistic settlement are O(1).
   * Null until something asks, and kept up to date from then on: a cache seed of thousands of
   * records paints without it, and a store that only watches (most of them: case 2 of the
   * benchmark runs 500 in one process) never makes its string and map entry per live record.
   * The first lookup builds it.
   */
  #byAuthor: Map<string, string> | null = null
  #seenInSnapshot: Set<string> | null = null
  readonly #view: SortedView<V>

  constructor(compare: (a: WatchRecord<V>, b: WatchRecord<V>) => number) {
    this.#view = new SortedView(compare)
  }

  get size(): number {
    return this.#byKey.size
  }

  values(): IterableIterator<WatchRecord<V>> {
    return this.#byKey.values()
  }

  /** Every record, sorted by the store's order. The array changes with the next edit: copy it to keep it. */
  sorted(): readonly WatchRecord<V>[] {
    return this.#view.read(this.#byKey)
  }

  hasAuthorKey(did: string, rkey: string): boolean {
    return this.#authors().has(authorKey(did, rkey))
  }

  /** The confirmed record of that author and key, through the same index (no scan). */
  getByAuthor(did: string, rkey: string): WatchRecord<V> | undefined {
    const key = this.#authors().get(authorKey(did, rkey))
    return key === undefined ? undefined : this.#byKey.get(key)
  }

  /** Returns false when nothing changed (same content re-sent). */
  upsert(record: WatchRecord<V>): boolean {
    const key = confirmedKey(record)
    this.#seenInSnapshot?.add(key)
    const existing = this.#byKey.get(key)
    if (existing && sameRecord(existing, record)) return false
    if (existing) this.#view.replaced(existing, record)
    else this.#view.added(record)
    this.#byKey.set(key, record)
    this.#byAuthor?.set(authorKey(record.did, record.rkey), key)
    return true
  }

  /** Deletes by uri, or by did+rkey when the uri is unknown. Returns false if absent. */
  delete(target: { uri?: string | undefined; did: string; rkey: string }): boolean {
    const key = (target.uri && this.#byKey.has(target.uri) ? target.uri : undefined) ??
      this.#authors().get(authorKey(target.did, target.rkey))
    if (key === undefined) return false
    const record = this.#byKey.get(key)
    this.#byKey.delete(key)
    if (record) {
      this.#byAuthor?.delete(authorKey(record.did, record.rkey))
      this.#view.removed(record)
    }
    return true
  }

  /** Adds records loaded from a cache without overriding anything the network already said. */
  seed(records: readonly WatchRecord<V>[]): boolean {
    const byKey = this.#byKey
    const before = byKey.size
    for (const record of records) {
      const key = confirmedKey(record)
      if (byKey.has(key)) continue
      this.#view.added(record)
      byKey.set(key, record)
    }
    if (byKey.size === before) return false
    this.#byAuthor = null // rebuilt by the first lookup, off the first paint's path
    return true
  }

  beginSnapshot(): void {
    this.#seenInSnapshot = new Set()
  }

  /** A snapshot that never finished must not evict anything. */
  abandonSnapshot(): void {
    this.#seenInSnapshot = null
  }

  /**
   * Evicts every record the finished snapshot did not mention, except those `keep` spares
   * (older pages the snapshot did not cover). Returns false if none.
   */
  endSnapshot(keep?: (record: WatchRecord<V>) => boolean): boolean {
    const seen = this.#seenInSnapshot
    this.#seenInSnapshot = null
    if (seen === null) return false
    let changed = false
    for (const [key, record] of this.#byKey) {
      if (seen.has(key) || keep?.(record)) continue
      this.#byKey.delete(key)
      this.#byAuthor?.delete(authorKey(record.did, record.rkey))
      this.#view.removed(record)
      changed = true
    }
    return changed
  }

  clear(): void {
    this.#byKey.clear()
    this.#byAuthor = null
    this.#view.reset()
    this.#seenInSnapshot = null
  }

  #authors(): Map<string, string> {
    if (this.#byAuthor === null) {
      this.#byAuthor = new Map()
      for (const [key, record] of this.#byKey) this.#byAuthor.set(authorKey(record.did, record.rkey), key)
    }
    return this.#byAuthor
  }
}
