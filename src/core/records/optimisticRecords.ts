import { authorKey } from './recordKey.js'
import type { OptimisticInput, WatchRecord } from './types.js'

/**
 * The local user's unconfirmed writes, keyed by did+rkey. Entries are replaced (never
 * mutated) on every change so snapshot consumers can compare by identity.
 */
export class OptimisticRecords<V> {
  #entries = new Map<string, WatchRecord<V>>()

  get size(): number {
    return this.#entries.size
  }

  get pendingCount(): number {
    let pending = 0
    for (const entry of this.#entries.values()) if (entry.optimistic === 'pending') pending++
    return pending
  }

  values(): IterableIterator<WatchRecord<V>> {
    return this.#entries.values()
  }

  add(input: OptimisticInput<V>, defaultCollection: string, nowUs: number): void {
    const collection = input.collection ?? defaultCollection
    this.#entries.set(authorKey(input.did, input.rkey), {
      uri: input.uri ?? `at://${input.did}/${collection}/${input.rkey}`,
      did: input.did,
      rkey: input.rkey,
      collection,
      value: input.value,
      time_us: input.time_us ?? nowUs,
      optimistic: 'pending',
    })
  }

  /** Drops the entry a confirmed record (or a delete) stands for. */
  settle(did: string, rkey: string): boolean {
    // Most stores hold no optimistic entry: no key string per confirmed record then.
    return this.size > 0 && this.#entries.delete(authorKey(did, rkey))
  }

  markFailed(rkey: string, error: Error, did?: string): boolean {
    let changed = false
    for (const [key, entry] of this.#matching(rkey, did)) {
      this.#entries.set(key, { ...entry, optimistic: 'failed', optimisticError: error })
      changed = true
    }
    return changed
  }

  remove(rkey: string, did?: string): boolean {
    let changed = false
    for (const [key] of this.#matching(rkey, did)) changed = this.#entries.delete(key) || changed
    return changed
  }

  /** Without a did, every entry with that rkey matches (the single-user common case). */
  #matching(rkey: string, did: string | undefined): Array<[string, WatchRecord<V>]> {
    if (did !== undefined) {
      const key = authorKey(did, rkey)
      const entry = this.#entries.get(key)
      return entry ? [[key, entry]] : []
    }
    return [...this.#entries].filter(([, entry]) => entry.rkey === rkey)
  }
}
