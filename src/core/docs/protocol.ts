import { decodeCbor, encodeCbor } from './cbor.js'
import { SyncError } from '../errors.js'
import { isValidDocumentId } from './documentId.js'

/**
 * The automerge-repo WebSocket protocol "1", client side (DESIGN §7): every frame is one
 * binary CBOR map. This module turns frames into checked messages and messages into
 * frames; it knows nothing about sockets or documents.
 */

export const PROTOCOL_VERSION = '1'

/**
 * syncline's own server sends this to clients that ask (`peerMetadata.synclineHeartbeat`):
 * a sign of life a page can see, as browsers hide WebSocket pings. Not part of protocol "1".
 */
export const HEARTBEAT_TYPE = 'syncline-heartbeat'

/** What the server may send us, after validation. */
export type ServerMessage =
  | { type: 'peer'; senderId: string; selectedProtocolVersion: string }
  | { type: 'error'; senderId: string | undefined; message: string }
  | { type: 'sync' | 'request'; senderId: string; documentId: string; data: Uint8Array }
  | { type: 'doc-unavailable'; senderId: string; documentId: string }
  | { type: 'ephemeral'; senderId: string; documentId: string; sessionId: string; count: number; data: Uint8Array }
  /** The server's heartbeat, and how often it promises one (undefined if it does not say). */
  | { type: typeof HEARTBEAT_TYPE; intervalMs: number | undefined }
  /** Valid messages syncline has no use for (automerge-repo's remote-heads gossip). */
  | { type: 'ignored'; messageType: string }

/** What we send. `senderId` and `targetId` are added by the connection. */
export type ClientMessage =
  | { type: 'join'; senderId: string; peerMetadata: { isEphemeral: true; synclineHeartbeat?: true }; supportedProtocolVersions: string[] }
  | { type: 'sync' | 'request'; senderId: string; targetId: string; documentId: string; data: Uint8Array }
  | { type: 'ephemeral'; senderId: string; targetId: string; documentId: string; sessionId: string; count: number; data: Uint8Array }

const IGNORED_TYPES = new Set(['remote-heads-changed', 'remote-subscription-change'])

/** Byte strings untagged, maps as plain maps: the bytes automerge-repo's cbor helpers write. */
export function encodeMessage(message: ClientMessage): Uint8Array {
  return encodeCbor(message)
}

/** CBOR-encodes the payload of an `ephemeral` message (its `data` field). */
export function encodeEphemeralData(value: unknown): Uint8Array {
  return encodeCbor(value)
}

/** A decoder per connection (stateless today; kept per connection so that may change safely). */
export function createMessageDecoder(): {
  decodeFrame(frame: unknown): ServerMessage | SyncError
  decodeEphemeralData(data: Uint8Array): unknown
} {
  return {
    decodeFrame(frame) {
      let bytes: Uint8Array
      if (frame instanceof ArrayBuffer) bytes = new Uint8Array(frame)
      else if (ArrayBuffer.isView(frame)) bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
      else return new SyncError('protocol', 'The server sent a text frame; automerge-repo frames are binary CBOR')
      if (bytes.byteLength === 0) return new SyncError('protocol', 'The server sent an empty frame')
      let value: unknown
      try {
        value = decodeCbor(bytes)
      } catch (error) {
        return new SyncError('protocol', `The server sent a frame that is not valid CBOR (${describe(error)})`, { cause: error })
      }
      return parseServerMessage(value)
    },
    decodeEphemeralData: decodeCbor,
  }
}

export function parseServerMessage(value: unknown): ServerMessage | SyncError {
  if (!isPlainObject(value)) return new SyncError('protocol', 'The server sent a frame that is not one CBOR map')
  const { type } = value
  if (typeof type !== 'string') return new SyncError('protocol', 'The server sent a message without a string "type"')
  const senderId = typeof value.senderId === 'string' ? value.senderId : undefined
  if (type === 'error') {
    const message = typeof value.message === 'string' ? value.message : 'no reason given'
    return { type, senderId, message }
  }
  if (IGNORED_TYPES.has(type)) return { type: 'ignored', messageType: type }
  if (type === HEARTBEAT_TYPE) {
    // An extension: a strange interval is ignored, never an error.
    const interval = value.intervalMs
    return { type, intervalMs: typeof interval === 'number' && Number.isFinite(interval) && interval > 0 ? interval : undefined }
  }
  const known = type === 'peer' || type === 'sync' || type === 'request' || type === 'doc-unavailable' || type === 'ephemeral'
  if (!known) return new SyncError('protocol', `The server sent a message of unknown type "${type.slice(0, 64)}"`)
  if (senderId === undefined) return new SyncError('protocol', `A "${type}" message without a string "senderId"`)
  if (type === 'peer') {
    // Servers from before protocol versioning name no version; they speak "1".
    const version = value.selectedProtocolVersion
    if (version !== undefined && typeof version !== 'string') {
      return new SyncError('protocol', 'A "peer" message whose "selectedProtocolVersion" is not a string')
    }
    return { type, senderId, selectedProtocolVersion: version ?? PROTOCOL_VERSION }
  }
  const { documentId } = value
  if (!isValidDocumentId(documentId)) {
    return new SyncError('protocol', `A "${type}" message without a valid "documentId"`)
  }
  if (type === 'doc-unavailable') return { type, senderId, documentId }
  const { data } = value
  if (!(data instanceof Uint8Array)) return new SyncError('protocol', `A "${type}" message for ${documentId} without binary "data"`)
  if (type === 'ephemeral') {
    const { sessionId, count } = value
    if (typeof sessionId !== 'string' || typeof count !== 'number') {
      return new SyncError('protocol', `An "ephemeral" message for ${documentId} without "sessionId" and "count"`)
    }
    return { type, senderId, documentId, sessionId, count, data }
  }
  return { type, senderId, documentId, data }
}

/**
 * A server's `error` message as a SyncError: authentication and authorization refusals
 * get their own codes (they are not retried with the same token), everything else is
 * `'protocol'`.
 */
export function serverErrorToSyncError(message: string): SyncError {
  const text = `The sync server refused: ${message}`
  if (/unauthori[sz]ed|unauthenticated|authenticat|\btoken\b|credential|\b401\b/i.test(message)) return new SyncError('unauthorized', text)
  if (/forbidden|not allowed|permission|access denied|\b403\b/i.test(message)) return new SyncError('forbidden', text)
  return new SyncError('protocol', text)
}

/** Whether an `error` message says the server does not speak our protocol version. */
export function isVersionRefusal(message: string): boolean {
  return /protocol.?version|unsupported.*protocol|protocol.*not supported/i.test(message)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
