import type { OutboxEntry, RecordCache } from '../cache/types.js'
import type { Timers } from '../silenceWatch.js'
import type { RecordPersister } from './recordPersister.js'
import type { WatchRecord } from './types.js'

/** What a store's cache holds for it: the last records it saw, and the writes not sent yet. */
export type CachedState<V> = [WatchRecord<V>[] | undefined, readonly OutboxEntry<unknown>[]]

/** Longest the connection waits for the first paint from the cache before loading anyway. */
const PAINT_HEAD_START_MS = 100

/** `painted`, or PAINT_HEAD_START_MS, whichever comes first; never rejects. */
export function headStart(painted: Promise<void>, timers: Timers): Promise<void> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(resolve, PAINT_HEAD_START_MS)
    const done = (): void => {
      timers.clearTimeout(timer)
      resolve()
    }
    painted.then(done, done)
  })
}

/** The records and the outbox together, so the first paint shows the user's unsent writes over the records. */
export function readCache<V>(persister: RecordPersister<V>, cache: RecordCache, key: string): Promise<CachedState<V>> {
  // A failed read shows no writes; the outbox reads again when its code arrives and reports it then.
  const outbox = cache.loadOutbox(key).catch(() => [])
  return Promise.all([persister.load(), outbox])
}
