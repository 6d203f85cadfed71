/**
 * What the browser's first paint needs of the watchRecords facts (watchRecords.ts): the
 * collection and record key rules, the watch endpoint's URL grammar and the default order.
 */
/**
 * AT Protocol NSID: at least three dot-separated segments, a reverse domain then a name.
 * The whole thing ends up in URIs and storage keys, so it is checked before any use.
 */
const NSID = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,62})(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62})){1,}\.[a-zA-Z][a-zA-Z0-9]{0,62}$/

/** Whether `collection` is a collection name (an NSID such as `com.example.message`), at most 317 characters. */
export function isValidCollection(collection: string): boolean {
  return collection.length <= 317 && NSID.test(collection)
}

/** A record key: 1–512 of A–Z a–z 0–9 . _ : ~ -, and neither `.` nor `..` (they mean paths). */
export function isValidRkey(rkey: unknown): rkey is string {
  return typeof rkey === 'string' && /^[A-Za-z0-9._:~-]{1,512}$/.test(rkey) && rkey !== '.' && rkey !== '..'
}

/** The watch endpoint's xrpc method, `/xrpc/<collection>.watchRecords` (the others: xrpcMethods.ts). */
export const WATCH_RECORDS_METHOD = 'watchRecords'

/**
 * `com.example.message.watchRecords` → `{ collection: 'com.example.message', name: 'watchRecords' }`:
 * the method name is what follows the last dot. A method without a dot has an empty
 * collection (which no collection check accepts).
 */
export function splitXrpcMethod(method: string): { collection: string; name: string } {
  const dot = method.lastIndexOf('.')
  return dot < 0 ? { collection: '', name: method } : { collection: method.slice(0, dot), name: method.slice(dot + 1) }
}

/**
 * The collection a watchRecords URL watches: the last path segment is
 * `<collection>.watchRecords` (whatever comes before it, `/xrpc/` or a proxy's prefix).
 * Undefined for a URL that cannot be read or is not a watchRecords endpoint. `base`
 * resolves a relative URL.
 */
export function collectionFromWatchUrl(url: string | URL, base?: string): string | undefined {
  let path: string
  try {
    path = new URL(url, base).pathname
  } catch {
    return undefined
  }
  const { collection, name } = splitXrpcMethod(path.slice(path.lastIndexOf('/') + 1))
  return name === WATCH_RECORDS_METHOD && collection.length > 0 ? collection : undefined
}

/** What ordering needs of a record. */
export interface OrderedRecord {
  time_us?: number | undefined
  rkey: string
  did: string
}

/**
 * The default record order on both sides: newest first — `time_us` descending (a missing
 * one counts as 0), then `rkey` descending, then `did` descending. DESIGN §3 promises the
 * first two keys; `did` makes it a total order, so two authors' records with the same
 * time and rkey sort the same way in a snapshot page (server) and in the store (client).
 */
export function compareNewestFirst(a: OrderedRecord, b: OrderedRecord): number {
  const byTime = (b.time_us ?? 0) - (a.time_us ?? 0)
  if (byTime !== 0) return byTime
  if (a.rkey !== b.rkey) return a.rkey < b.rkey ? 1 : -1
  return a.did < b.did ? 1 : a.did > b.did ? -1 : 0
}
