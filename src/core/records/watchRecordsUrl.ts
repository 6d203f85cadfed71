import { isValidCollection, WATCH_RECORDS_METHOD } from '../../wire/watchEndpoint.js'
import { SyncError } from '../errors.js'

/**
 * The query of a watch: the room it watches (`roomUri`; a contrail server calls it `spaceUri`),
 * plus any parameter the server understands.
 */
export type WatchRecordsParams = ({ roomUri: string } | { spaceUri: string }) & Record<string, string>

/**
 * The relative URL of a collection's watch, every parameter encoded:
 * `watchRecordsUrl('com.example.message', { roomUri: 'at://did:plc:x/room/1' })` →
 * `/xrpc/com.example.message.watchRecords?roomUri=at%3A%2F%2Fdid%3Aplc%3Ax%2Froom%2F1`.
 * A room name with `&`, `#` or spaces cannot leak into the query or the path this way.
 * @throws SyncError `'bad-input'` for a collection that is not an NSID, or no non-empty `roomUri`/`spaceUri`.
 */
export function watchRecordsUrl(collection: string, params: WatchRecordsParams): string {
  if (!isValidCollection(collection)) {
    throw new SyncError('bad-input', `"${collection.slice(0, 100)}" is not a collection name; use an NSID such as com.example.message`)
  }
  const room: unknown = params.roomUri ?? params.spaceUri
  if (typeof room !== 'string' || room.length === 0) {
    throw new SyncError('bad-input', `watchRecordsUrl("${collection}") needs a non-empty roomUri (or spaceUri)`)
  }
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) query.set(name, value)
  // URLSearchParams writes a space as '+'; %20 reads the same everywhere, servers included.
  return `/xrpc/${collection}.${WATCH_RECORDS_METHOD}?${query.toString().replace(/\+/g, '%20')}`
}

/** The absolute watch URL a store connects to. @throws SyncError `'bad-input'` when it cannot be resolved. */
export function resolveWatchUrl(url: string, baseUrl: string | undefined): string {
  const base = baseUrl ?? (typeof location === 'undefined' ? undefined : location.origin)
  try {
    return new URL(url, base).toString()
  } catch (error) {
    throw new SyncError(
      'bad-input',
      `Cannot resolve watch URL "${url}"${base ? ` against "${base}"` : ''}; pass an absolute url or a baseUrl`,
      { cause: error },
    )
  }
}
