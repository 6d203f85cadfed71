import { isValidRkey } from '../../wire/watchEndpoint.js'
import { SyncError } from '../errors.js'
import type { WatchRecord } from './types.js'

/** Record keys as AT Protocol (and the reference server) allow them: 1–512 of a safe set, not `.` or `..`. */
export function checkRkey(rkey: string): void {
  if (!isValidRkey(rkey)) {
    throw new SyncError('bad-input', `"${String(rkey)}" is not a record key (1–512 of A-Z a-z 0-9 . _ : ~ -)`)
  }
}

/** Confirmed records are keyed by uri, falling back to did/rkey (DESIGN §6). */
export function confirmedKey(record: { uri?: string | undefined; did: string; rkey: string }): string {
  return record.uri || `${record.did}/${record.rkey}`
}

/**
 * Optimistic entries are the local user's own writes; an entry is settled only by a record
 * whose did AND rkey both match (rkey alone collides across users).
 */
export function authorKey(did: string, rkey: string): string {
  return `${did}\u0000${rkey}`
}

export { compareNewestFirst } from '../../wire/watchEndpoint.js'

/**
 * Whether a re-sent record carries nothing new, so the old object can be kept and components
 * selecting it do not re-render. A content id settles it cheaply; otherwise compare the JSON.
 */
export function sameRecord<V>(a: WatchRecord<V>, b: WatchRecord<V>): boolean {
  if (a === b) return true
  if (a.uri !== b.uri || a.time_us !== b.time_us || a.did !== b.did || a.rkey !== b.rkey) return false
  if (a.cid && b.cid) return a.cid === b.cid
  return JSON.stringify(a) === JSON.stringify(b)
}
