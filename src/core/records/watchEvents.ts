import type { ConnectAttempt } from '../connectionDriver.js'
import { SyncError } from '../errors.js'
import type { ConfirmedRecords } from './confirmedRecords.js'
import type { HistoryPager } from './historyPager.js'
import type { OptimisticRecords } from './optimisticRecords.js'
import type { WatchEvent } from './types.js'

/**
 * The parts of a record store that watch events change. The store hands them over as an
 * object rather than this module importing them, so the connection chunk (recordLink.ts),
 * where this lives, shares no module with the page.
 */
export interface WatchEventTarget<V> {
  readonly confirmed: ConfirmedRecords<V>
  optimistic(): OptimisticRecords<V>
  /** Loaded by the first loadOlder(); until then the store keeps only the snapshot's cursor. */
  pager(): HistoryPager<V> | undefined
  /** Where the last snapshot ended, kept while there is no pager (undefined: forgotten). */
  setCursor(cursor: string | null | undefined): void
  /** The network has sent records: the cache's must not overwrite them any more. */
  caughtUp(): void
  /** The records changed: a new snapshot, the cache written, listeners told. */
  changed(): void
  /** Empties the store's cache entry (access was revoked). */
  clearCache(): void
}

/**
 * Applies one batch of watch events to a store. `attempt` is the connection the batch came
 * on; an older page (`record.created` only) comes on none. Not needed for the first paint
 * from the cache, so it loads with the connection, after it.
 */
export function applyWatchEvents<V>(target: WatchEventTarget<V>, batch: readonly WatchEvent<V>[], attempt?: ConnectAttempt): void {
  const { confirmed } = target
  const pager = target.pager()
  let changed = false
  for (const event of batch) {
    switch (event.kind) {
      case 'snapshot.start':
        confirmed.beginSnapshot()
        pager?.beginSnapshot()
        break
      case 'snapshot.record':
      case 'record.created': {
        const record = event.data.record
        if (event.kind === 'snapshot.record') pager?.snapshotRecord(record)
        changed = confirmed.upsert(record) || changed
        changed = target.optimistic().settle(record.did, record.rkey) || changed
        if (event.kind === 'record.created') target.caughtUp()
        break
      }
      case 'snapshot.end':
        // Only the window this snapshot covers is reconciled: older loaded pages stay.
        changed = confirmed.endSnapshot(pager ? pager.endSnapshot(event.data.cursor) : void target.setCursor(event.data.cursor || null)) || changed
        target.caughtUp()
        if (changed) target.changed()
        changed = false
        // Records first, then the status: a listener that sees `live` sees the full list.
        attempt?.caughtUp()
        break
      case 'record.deleted':
        changed = confirmed.delete(event.data) || changed
        changed = target.optimistic().settle(event.data.did, event.data.rkey) || changed
        break
      case 'member.removed':
        // Access was revoked: what we showed is no longer ours to show, here or in the cache.
        confirmed.clear()
        pager?.reset()
        target.setCursor(undefined)
        target.changed()
        target.clearCache()
        attempt?.lost(new SyncError('forbidden', 'Access to this collection was revoked (member.removed)'), { retry: false })
        return
      case 'error':
        attempt?.problem(new SyncError('unavailable', `Server reported: ${event.data.message}`))
        break
    }
  }
  if (changed) target.changed()
}
