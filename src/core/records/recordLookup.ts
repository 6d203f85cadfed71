import { authorKey } from './recordKey.js'
import type { WatchRecord } from './types.js'

/** Below this many records a scan is cheaper than building maps. */
const SCAN_LIMIT = 16

interface Lookup<V> {
  /** rkey → the first record in the list's order with that rkey (the newest, in the default order). */
  readonly byRkey: Map<string, WatchRecord<V>>
  /** did+rkey → record; built by the first lookup that names an author. */
  byAuthor: Map<string, WatchRecord<V>> | null
}

/**
 * One index per records array: a snapshot's array is never changed once handed out (each
 * change makes a new one), so its index stays right for as long as the array lives, and goes
 * with it. Every `useRecord` reading the same snapshot shares it.
 */
const lookups = new WeakMap<readonly WatchRecord<unknown>[], Lookup<unknown>>()

/**
 * The record with that rkey (and author, when `did` is given) in `records`: the first one in
 * the list's order, as `records.find` would give. With many components each picking one record
 * of a long list (`useRecord` per row), the first lookup after a change builds a map and every
 * other one is O(1), instead of each scanning the whole list.
 */
export function findRecord<V>(records: readonly WatchRecord<V>[], rkey: string, did?: string): WatchRecord<V> | undefined {
  if (records.length <= SCAN_LIMIT) return records.find((record) => record.rkey === rkey && (did === undefined || record.did === did))
  let lookup = lookups.get(records) as Lookup<V> | undefined
  if (lookup === undefined) {
    lookup = { byRkey: firstByKey(records, (record) => record.rkey), byAuthor: null }
    lookups.set(records, lookup as Lookup<unknown>)
  }
  if (did === undefined) return lookup.byRkey.get(rkey)
  lookup.byAuthor ??= firstByKey(records, (record) => authorKey(record.did, record.rkey))
  return lookup.byAuthor.get(authorKey(did, rkey))
}

function firstByKey<V>(records: readonly WatchRecord<V>[], keyOf: (record: WatchRecord<V>) => string): Map<string, WatchRecord<V>> {
  const map = new Map<string, WatchRecord<V>>()
  for (let i = records.length - 1; i >= 0; i--) map.set(keyOf(records[i]!), records[i]!)
  return map
}
