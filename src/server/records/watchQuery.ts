import type { RecordScope } from '../storage/types.js'
import type { WatchFrame } from './recordHub.js'
import { requireCursor, SNAPSHOT_LIMIT } from './paging.js'
import { optionalAuthor, parseLimit, requireQueryRoom } from './validation.js'

/** What a watchRecords request asks for, read the same way by the SSE stream and the `mode=ws` handshake. */
export interface WatchQuery {
  scope: RecordScope
  limit: number
  /** The snapshot starts after this record, as a listRecords page would (contrail pages its snapshot so). */
  cursor: string | undefined
  /** Contrail's `actor`: only this author's records, in the snapshot and live. */
  author: string | undefined
}

export function parseWatchQuery(collection: string, url: URL): WatchQuery {
  return {
    scope: { collection, room: requireQueryRoom(url) },
    limit: parseLimit(url.searchParams.get('limit'), SNAPSHOT_LIMIT.fallback, SNAPSHOT_LIMIT.max),
    cursor: requireCursor(url.searchParams.get('cursor')),
    author: optionalAuthor(url),
  }
}

/** `snapshot.start` names the room, and the author only when the watch is about one (as contrail's does). */
export const snapshotStart = ({ scope, author }: WatchQuery): WatchFrame => ({
  kind: 'snapshot.start',
  data: { collection: scope.collection, spaceUri: scope.room, ...(author !== undefined && { actor: author }) },
})

/**
 * Whether a live frame belongs in a watch narrowed to `author`. Record events carry their
 * author's `did`; anything else (no such frames today) passes.
 */
export function isForAuthor(frame: WatchFrame, author: string | undefined): boolean {
  if (author === undefined) return true
  const data = frame.data as { did?: unknown; record?: { did?: unknown } }
  if (frame.kind === 'record.created') return data.record?.did === author
  if (frame.kind === 'record.deleted') return data.did === author
  return true
}
