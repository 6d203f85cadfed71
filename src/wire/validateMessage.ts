import { isValidDocumentId } from './documentId.js'
import type { CheckedClientMessage, CheckedServerMessage, DocUnavailableMessage, EphemeralMessage, SyncMessage, Validation } from './messages.js'
import { GOSSIP_TYPES, HEARTBEAT_TYPE, MAX_PEER_ID_LENGTH, PROTOCOL_VERSION } from './messages.js'

/**
 * The checks both sides make on a decoded protocol "1" frame. Where the client and the
 * server used to differ, one rule now holds for both:
 * - `sync`/`request` `data` must be non-empty bytes in either direction: no Automerge sync
 *   message is empty, so an empty one is a broken peer (the client used to hand it to
 *   `receiveSyncMessage` and report the throw; now it is refused as a bad frame first).
 * - `doc-unavailable` is a valid message in either direction and is checked the same way
 *   (a sender and a valid `documentId`); the server then drops it (a relay never asks a
 *   client for a document), the client acts on it.
 * - `documentId` is checked by the one `isValidDocumentId` (canonical bs58check of 16 bytes).
 * What stays direction-specific is what the protocol itself makes so: only a server sends
 * `peer` and the heartbeat, only a client sends `join`, and the server (which must know who
 * every later message is from, and that it is the target) requires `senderId` and
 * `targetId` on every message, where a client reading a server's `error` takes it as is.
 */

type Fields = Record<string, unknown>
type Refusal = { ok: false; reason: string; senderId?: string | undefined }

/** A message a client sent, as the server reads it. */
export function validateClientMessage(value: unknown): Validation<CheckedClientMessage> {
  if (!isPlainObject(value)) return refuse('A frame must be one CBOR map')
  const senderId = value.senderId
  if (typeof senderId !== 'string' || senderId.length === 0 || senderId.length > MAX_PEER_ID_LENGTH) {
    return refuse(`The message needs a "senderId" string of 1 to ${MAX_PEER_ID_LENGTH} characters`)
  }
  const type = value.type
  if (typeof type !== 'string') return refuse('The message has no string "type"', senderId)
  if (type === 'join') {
    const versions = value.supportedProtocolVersions
    const wantsHeartbeat = isPlainObject(value.peerMetadata) && value.peerMetadata.synclineHeartbeat === true
    // automerge-repo before protocol versioning sent no list; those clients speak "1".
    if (versions === undefined) return accept({ type, senderId, supportedProtocolVersions: [PROTOCOL_VERSION], wantsHeartbeat })
    if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) {
      return refuse('"supportedProtocolVersions" must be a list of strings', senderId)
    }
    return accept({ type, senderId, supportedProtocolVersions: versions as string[], wantsHeartbeat })
  }
  if (GOSSIP_TYPES.has(type)) return accept({ type: 'ignored', senderId, messageType: type })
  if (type !== 'sync' && type !== 'request' && type !== 'ephemeral' && type !== 'doc-unavailable') {
    return refuse(`Unknown message type "${clip(type)}"`, senderId)
  }
  if (typeof value.targetId !== 'string') return refuse(`A "${type}" message needs a string "targetId"`, senderId)
  const checked = validateDocumentFields(value, type, senderId)
  return checked.ok ? checked : { ...checked, senderId }
}

/** A message a server sent, as the client reads it. */
export function validateServerMessage(value: unknown): Validation<CheckedServerMessage> {
  if (!isPlainObject(value)) return refuse('The server sent a frame that is not one CBOR map')
  const { type } = value
  if (typeof type !== 'string') return refuse('The server sent a message without a string "type"')
  const senderId = typeof value.senderId === 'string' ? value.senderId : undefined
  if (type === 'error') {
    const message = typeof value.message === 'string' ? value.message : 'no reason given'
    return accept({ type, senderId, message })
  }
  if (GOSSIP_TYPES.has(type)) return accept({ type: 'ignored', senderId, messageType: type })
  if (type === HEARTBEAT_TYPE) {
    // An extension: a strange interval is ignored, never an error.
    const interval = value.intervalMs
    return accept({ type, intervalMs: typeof interval === 'number' && Number.isFinite(interval) && interval > 0 ? interval : undefined })
  }
  const known = type === 'peer' || type === 'sync' || type === 'request' || type === 'doc-unavailable' || type === 'ephemeral'
  if (!known) return refuse(`The server sent a message of unknown type "${clip(type)}"`)
  if (senderId === undefined) return refuse(`A "${type}" message without a string "senderId"`)
  if (type === 'peer') {
    // Servers from before protocol versioning name no version; they speak "1".
    const version = value.selectedProtocolVersion
    if (version !== undefined && typeof version !== 'string') {
      return refuse('A "peer" message whose "selectedProtocolVersion" is not a string', senderId)
    }
    return accept({ type, senderId, selectedProtocolVersion: version ?? PROTOCOL_VERSION })
  }
  return validateDocumentFields(value, type, senderId)
}

/** The fields every document message has, checked the same way in both directions. */
export function validateDocumentFields(
  value: Fields,
  type: 'sync' | 'request' | 'ephemeral' | 'doc-unavailable',
  senderId: string,
): Validation<SyncMessage | EphemeralMessage | DocUnavailableMessage> {
  const { documentId } = value
  if (!isValidDocumentId(documentId)) return refuse(`A "${type}" message needs a valid "documentId" (bs58check of 16 bytes)`, senderId)
  if (type === 'doc-unavailable') return accept({ type, senderId, documentId })
  const { data } = value
  if (!(data instanceof Uint8Array)) return refuse(`A "${type}" message for ${documentId} needs binary "data"`, senderId)
  if (type === 'ephemeral') {
    const { sessionId, count } = value
    if (typeof sessionId !== 'string') return refuse(`An "ephemeral" message for ${documentId} needs a string "sessionId"`, senderId)
    if (typeof count !== 'number' || !Number.isFinite(count)) {
      return refuse(`An "ephemeral" message for ${documentId} needs a numeric "count"`, senderId)
    }
    return accept({ type, senderId, documentId, sessionId, count, data })
  }
  if (data.byteLength === 0) return refuse(`A "${type}" message for ${documentId} needs non-empty "data"`, senderId)
  return accept({ type, senderId, documentId, data })
}

/** A map as a CBOR decoder builds it: a plain object (not an array, byte string, Map or class). */
export function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function accept<T>(message: T): { ok: true; message: T } {
  return { ok: true, message }
}

function refuse(reason: string, senderId?: string): Refusal {
  return senderId === undefined ? { ok: false, reason } : { ok: false, reason, senderId }
}

/** Keeps reasons readable when a peer sends a megabyte of `type`. */
function clip(text: string): string {
  return text.slice(0, 64)
}
