import { newTid } from '../../wire/tid.js'
import type { OutboxEntry } from '../cache/types.js'

/** A new outbox entry: its id is a TID, so entries sort in the order they were made. */
export function newOutboxEntry(op: OutboxEntry['op'], rkey: string, value: unknown, did: string | undefined, nowUs: number): OutboxEntry<unknown> {
  return {
    id: newTid(nowUs),
    op,
    rkey,
    ...(op === 'put' && { value }),
    ...(did !== undefined && { did }),
    time_us: nowUs,
    tries: 0,
  }
}
