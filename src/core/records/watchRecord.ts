// A leaf module: the record caches (src/core/cache) and the record store types both use
// WatchRecord, and the store's options use RecordCache; with WatchRecord here, no import circle.

/** One record of a watched collection, as the watchRecords wire format carries it. */
export interface WatchRecord<V = Record<string, unknown>> {
  uri: string
  did: string
  rkey: string
  collection: string
  value: V
  cid?: string | null
  time_us?: number
  indexed_at?: number
  /** The space a contrail server's record belongs to (its `spaceUri`); syncline's server leaves it out. */
  space?: string
  /** Set only on the local user's own writes that the server has not confirmed yet. */
  optimistic?: 'pending' | 'failed'
  optimisticError?: Error
}
