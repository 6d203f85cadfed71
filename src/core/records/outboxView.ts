import type { OutboxEntry } from '../cache/types.js'
import { SyncError } from '../errors.js'
import type { WatchRecord } from './types.js'

/**
 * How queued writes show in a store's records: a pending put replaces the record it
 * overwrites, a pending delete hides it. In the page's own code (not the write chunk), so the
 * first paint from the cache can show the last session's writes before that chunk arrives;
 * the chunk then takes over the same object, and with it the records it made.
 */
export class OutboxView<V> {
  readonly #collection: string
  /** One record per entry object, so a rebuild hands out the same records and rows do not re-render. */
  #views = new WeakMap<OutboxEntry<unknown>, WatchRecord<V>>()

  constructor(collection: string) {
    this.#collection = collection
  }

  /** `records` with every entry laid over them; `did` names the author of entries that do not. */
  merge(records: WatchRecord<V>[], entries: readonly OutboxEntry<unknown>[], did: string | undefined): WatchRecord<V>[] {
    if (entries.length === 0) return records
    const latest = new Map<string, OutboxEntry<unknown>>()
    for (const entry of entries) latest.set(entry.rkey, entry)
    const shown = records.filter((record) => {
      const entry = latest.get(record.rkey)
      return entry === undefined || (entry.did !== undefined && entry.did !== record.did)
    })
    for (const entry of latest.values()) if (entry.op === 'put') shown.push(this.#view(entry, did))
    return shown
  }

  #view(entry: OutboxEntry<unknown>, fallbackDid: string | undefined): WatchRecord<V> {
    let view = this.#views.get(entry)
    if (view) return view
    const did = entry.did ?? fallbackDid ?? ''
    const collection = this.#collection
    const error = entry.failed && entry.lastError ? new SyncError(entry.lastError.code, entry.lastError.message, entry.lastError.status === undefined ? undefined : { status: entry.lastError.status }) : undefined
    view = {
      uri: `at://${did}/${collection}/${entry.rkey}`,
      did,
      rkey: entry.rkey,
      collection,
      value: entry.value as V,
      time_us: entry.time_us,
      optimistic: entry.failed ? 'failed' : 'pending',
      ...(error && { optimisticError: error }),
    }
    this.#views.set(entry, view)
    return view
  }
}
