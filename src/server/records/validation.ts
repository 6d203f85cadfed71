import { isValidCollection, isValidRkey } from '../../wire/watchRecords.js'
import { HttpError } from '../http.js'

const DID = /^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$/
const MAX_ROOM_LENGTH = 1024

// The collection (NSID) and record key grammars are declared once, in src/wire, for the client too.
export { isValidCollection }

export function assertCollection(collection: string): void {
  if (!isValidCollection(collection)) {
    throw new HttpError(400, 'InvalidCollection', `"${collection.slice(0, 100)}" is not a valid collection name (an NSID such as com.example.message)`)
  }
}

export function requireRoom(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new HttpError(400, 'InvalidRequest', 'roomUri (or spaceUri) is required')
  if (value.length > MAX_ROOM_LENGTH) throw new HttpError(400, 'InvalidRequest', `roomUri is longer than ${MAX_ROOM_LENGTH} characters`)
  return value
}

/**
 * The room of a query or a JSON body: `roomUri`, or `spaceUri` as contrail calls it. Both may
 * be sent when they agree; two different rooms get a 400 rather than a guess.
 */
export function requireRoomOf(source: { roomUri?: unknown; spaceUri?: unknown }): string {
  const { roomUri, spaceUri } = source
  if (roomUri !== undefined && roomUri !== null && spaceUri !== undefined && spaceUri !== null && roomUri !== spaceUri) {
    throw new HttpError(400, 'InvalidRequest', 'roomUri and spaceUri name different rooms; send one of them (spaceUri is contrail\'s name for roomUri)')
  }
  return requireRoom(roomUri ?? spaceUri)
}

/** The room named by a URL's query (`roomUri` or `spaceUri`). */
export const requireQueryRoom = (url: URL): string => requireRoomOf({ roomUri: url.searchParams.get('roomUri'), spaceUri: url.searchParams.get('spaceUri') })

/**
 * The author a watch or list narrows to: contrail's `actor` (or its other name `did`), a DID.
 * Contrail also resolves handles here; this server does not, and says so with a 400.
 */
export function optionalAuthor(url: URL): string | undefined {
  const actor = url.searchParams.get('actor')
  const did = url.searchParams.get('did')
  if (actor !== null && did !== null && actor !== did) throw new HttpError(400, 'InvalidRequest', 'actor and did name different authors; send one of them')
  const author = actor ?? did
  if (author === null) return undefined
  if (!DID.test(author)) throw new HttpError(400, 'InvalidRequest', 'actor must be a DID (did:method:identifier); this server does not resolve handles')
  return author
}

export function requireRkey(value: unknown): string {
  if (!isValidRkey(value)) {
    throw new HttpError(400, 'InvalidRequest', 'rkey must be 1–512 characters of A–Z, a–z, 0–9 and . _ : ~ -')
  }
  return value
}

export function requireDid(value: unknown): string {
  if (typeof value !== 'string' || !DID.test(value)) throw new HttpError(400, 'InvalidRequest', 'did must look like did:method:identifier')
  return value
}

/** Query `limit`: a positive integer up to `max`. */
export function parseLimit(value: string | null, fallback: number, max: number): number {
  if (value === null) return fallback
  const limit = Number(value)
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new HttpError(400, 'InvalidRequest', `limit must be an integer from 1 to ${max}`)
  return limit
}

/**
 * A record value nested deeper than `maxDepth` (objects and arrays) gets a 400. Walked with
 * an explicit stack: `JSON.parse` builds any depth a body holds, but hashing, storing and
 * sending the value recurse, and a deep enough one would overflow their stack.
 */
export function requireRecordDepth(value: unknown, maxDepth: number): void {
  const pending: Array<[unknown, number]> = [[value, 1]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next
    if (typeof item !== 'object' || item === null) continue
    if (depth > maxDepth) throw new HttpError(400, 'InvalidRecord', `value is nested deeper than ${maxDepth} levels`)
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1])
    }
  }
}
