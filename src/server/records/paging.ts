import { HttpError } from '../http.js'
import type { RecordScope, StorageProvider, StoredRecord } from '../storage/types.js'
import { compareNewestFirst } from './recordIds.js'

/** How many records a watch's snapshot and a listRecords page hold unless `limit` says otherwise, and at most. */
export const SNAPSHOT_LIMIT = { fallback: 100, max: 1000 }
export const LIST_LIMIT = { fallback: 50, max: 1000 }

/**
 * Newest first, `limit` at a time; the cursor names the last record of the page. `author`
 * keeps that DID's records only (contrail's `actor`).
 */
export async function pageRecords(storage: StorageProvider, scope: RecordScope, limit: number, cursor: string | undefined, author?: string): Promise<{ records: StoredRecord[]; cursor: string | undefined }> {
  const stored = await storage.listRecords(scope)
  const sorted = (author === undefined ? stored : stored.filter((record) => record.did === author)).sort(compareNewestFirst)
  let start = 0
  if (cursor !== undefined) {
    const after = decodeCursor(cursor)
    start = sorted.findIndex((record) => compareNewestFirst(record, after) > 0)
    if (start === -1) start = sorted.length
  }
  const records = sorted.slice(start, start + limit)
  const last = records.at(-1)
  return { records, cursor: last && start + limit < sorted.length ? encodeCursor(last) : undefined }
}

/**
 * A `cursor` query parameter, checked before anything is sent: an SSE stream that has
 * started cannot answer 400 any more.
 */
export function requireCursor(value: string | null): string | undefined {
  if (value === null) return undefined
  decodeCursor(value)
  return value
}

const encodeCursor = ({ time_us, rkey, did }: StoredRecord): string => Buffer.from(JSON.stringify([time_us, rkey, did])).toString('base64url')

function decodeCursor(cursor: string): { time_us: number; rkey: string; did: string } {
  try {
    const [time_us, rkey, did] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof time_us === 'number' && typeof rkey === 'string' && typeof did === 'string') return { time_us, rkey, did }
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(400, 'InvalidCursor', 'cursor is not one this server issued')
}
