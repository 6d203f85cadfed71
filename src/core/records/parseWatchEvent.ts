import { SyncError } from '../errors.js'
import type { WatchEvent, WatchRecord } from './types.js'
import { isWatchFrameKind } from '../../wire/watchFrames.js'

/** What a transport knows about the stream that a frame may leave out. */
export interface WatchEventContext {
  /** The watched collection, used to build `at://did/collection/rkey` when a record has no uri. */
  collection?: string | undefined
}

type Fields = Record<string, unknown>

/**
 * Validates one watchRecords frame (DESIGN §6); null for a frame to skip without a word. `data` is the frame's JSON text (SSE) or an
 * already parsed value (WebSocket). Never throws: a bad frame comes back as a
 * `SyncError('protocol')` so the transport can skip it and keep the stream open.
 *
 * Records are returned as parsed; a missing `uri` (or `did`/`rkey`) is filled in from the
 * other keys, so every record the store sees has all three.
 */
export function parseWatchEvent<V = Record<string, unknown>>(
  kind: string,
  data: string | unknown,
  context: WatchEventContext = {},
): WatchEvent<V> | SyncError | null {
  // contrail's hydrate option adds related records to a parent; syncline does not hydrate, so
  // these deltas are skipped quietly (null), not reported as protocol errors.
  if (kind === 'hydration.added' || kind === 'hydration.removed') return null
  if (!isWatchFrameKind(kind)) return protocolError(`Unknown watchRecords event kind "${clip(kind)}"`)
  // A keepalive carries nothing; whatever data it has (often none at all) is not worth a complaint.
  if (kind === 'keepalive') return { kind, data: {} }
  let value = data
  if (typeof data === 'string') {
    try {
      value = JSON.parse(data)
    } catch (error) {
      return protocolError(`Malformed JSON in a "${kind}" frame: ${clip(data)}`, error)
    }
  }
  if (!isObject(value)) return protocolError(`The data of a "${kind}" frame is not a JSON object`)

  switch (kind) {
    case 'snapshot.record':
    case 'record.created': {
      const record = value.record
      if (!isObject(record)) return protocolError(`A "${kind}" frame has no "record" object`)
      const checked = checkRecord<V>(record, context.collection)
      if (typeof checked === 'string') return protocolError(`A "${kind}" frame's record ${checked}`)
      return { kind, data: { record: checked } }
    }
    case 'record.deleted': {
      const keys = recordKeys(value, context.collection)
      if (typeof keys === 'string') return protocolError(`A "record.deleted" frame ${keys}`)
      return { kind, data: keys.uri ? { uri: keys.uri, did: keys.did, rkey: keys.rkey } : { did: keys.did, rkey: keys.rkey } }
    }
    case 'snapshot.start':
      return { kind, data: value as { collection?: string; spaceUri?: string; actor?: string } }
    case 'snapshot.end': {
      const cursor = value.cursor
      if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') {
        return protocolError('A "snapshot.end" frame has a "cursor" that is not a string')
      }
      return { kind, data: value as { cursor?: string | null } }
    }
    case 'member.removed':
      return { kind, data: value as { space?: string; did?: string } }
    default: {
      // 'error'
      const message = value.message
      return { kind: 'error', data: { message: typeof message === 'string' ? message : JSON.stringify(value) } }
    }
  }
}


function checkRecord<V>(record: Fields, collection: string | undefined): WatchRecord<V> | string {
  if (record.value === undefined) return 'has no "value"'
  // The common case, a complete record (what the reference server sends), is returned as is
  // without working out its keys: no copy, and no object made, on every event's path.
  if (nonEmptyString(record.uri) && nonEmptyString(record.did) && nonEmptyString(record.rkey) && nonEmptyString(record.collection)) {
    return record as unknown as WatchRecord<V>
  }
  const keys = recordKeys(record, typeof record.collection === 'string' && record.collection ? record.collection : collection)
  if (typeof keys === 'string') return keys
  // The common case (a complete record) is returned as is: no copy on the snapshot hot path.
  if (keys.uri === record.uri && keys.did === record.did && keys.rkey === record.rkey && keys.collection === record.collection) {
    return record as unknown as WatchRecord<V>
  }
  return { ...record, uri: keys.uri ?? '', did: keys.did, rkey: keys.rkey, collection: keys.collection ?? '' } as unknown as WatchRecord<V>
}

interface RecordKeys {
  uri: string | undefined
  did: string
  rkey: string
  collection: string | undefined
}

/** A record (or a delete) needs a uri or both did and rkey; whichever is missing is derived. */
function recordKeys(fields: Fields, collection: string | undefined): RecordKeys | string {
  const uri = nonEmptyString(fields.uri)
  let did = nonEmptyString(fields.did)
  let rkey = nonEmptyString(fields.rkey)
  if (fields.uri !== undefined && uri === undefined) return 'has a "uri" that is not a non-empty string'
  if (uri === undefined) {
    if (did === undefined || rkey === undefined) return 'has neither a "uri" nor both "did" and "rkey"'
    return { uri: collection ? `at://${did}/${collection}/${rkey}` : undefined, did, rkey, collection }
  }
  if (did !== undefined && rkey !== undefined) return { uri, did, rkey, collection: collection ?? parseAtUri(uri)?.collection }
  const parsed = parseAtUri(uri)
  if (!parsed) return `has no "did"/"rkey" and its uri "${clip(uri)}" is not at://did/collection/rkey`
  did ??= parsed.did
  rkey ??= parsed.rkey
  return { uri, did, rkey, collection: collection ?? parsed.collection }
}

function parseAtUri(uri: string): { did: string; collection: string; rkey: string } | undefined {
  if (!uri.startsWith('at://')) return undefined
  const parts = uri.slice(5).split('/')
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) return undefined
  return { did: parts[0], collection: parts[1], rkey: parts[2] }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function protocolError(message: string, cause?: unknown): SyncError {
  return new SyncError('protocol', message, cause === undefined ? undefined : { cause })
}

/** Keeps messages readable when a server sends a megabyte of garbage. */
function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text
}
