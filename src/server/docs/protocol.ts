import { Decoder, Encoder } from 'cbor-x'
import { isValidDocumentId } from '../../wire/documentId.js'
import { frameShapeProblem } from './frameShape.js'

/**
 * The automerge-repo WebSocket protocol "1", server side: every frame is one binary CBOR
 * map. This module turns frames into checked messages and messages into frames; it knows
 * nothing about sockets or documents.
 */

export const PROTOCOL_VERSION = '1'

/** Peer ids are opaque strings; this bound only keeps a hostile one from bloating every frame. */
const MAX_PEER_ID_LENGTH = 256
/** Protocol "1" frames nest at most four levels (remote-heads gossip); anything deeper is hostile. */
export const MAX_FRAME_DEPTH = 16

export interface JoinMessage {
  type: 'join'
  senderId: string
  supportedProtocolVersions: readonly string[]
  /** The peer asked for `syncline-heartbeat` messages (`peerMetadata.synclineHeartbeat: true`). */
  wantsHeartbeat: boolean
}

/**
 * A message only peers that ask for it get: a sign of life a browser page can see (it cannot
 * see WebSocket pings). Stock automerge-repo clients never ask, and would drop it unread.
 */
export const HEARTBEAT_TYPE = 'syncline-heartbeat'

export interface SyncMessage {
  type: 'sync' | 'request'
  senderId: string
  documentId: string
  data: Uint8Array
}

/**
 * Relayed with only these checked fields: re-encoding whatever else a sender put in the map
 * would hand the encoder values shaped by a hostile peer.
 */
export interface EphemeralMessage {
  type: 'ephemeral'
  senderId: string
  documentId: string
  sessionId: string
  count: number
  data: Uint8Array
}

/**
 * Messages a stock client may send that a relay server has no use for: `doc-unavailable`
 * (answering a request we never make) and the remote-heads gossip of automerge-repo 2.
 */
export interface IgnoredMessage {
  type: 'ignored'
  senderId: string
}

export type ClientMessage = JoinMessage | SyncMessage | EphemeralMessage | IgnoredMessage

export type DocumentMessage = SyncMessage | EphemeralMessage

export type ServerMessage =
  | { type: 'peer'; senderId: string; peerMetadata: { isEphemeral: false }; selectedProtocolVersion: string; targetId: string }
  | { type: typeof HEARTBEAT_TYPE; senderId: string; targetId: string; intervalMs: number }
  | { type: 'error'; senderId: string; message: string; targetId?: string }
  | { type: 'sync'; senderId: string; targetId: string; documentId: string; data: Uint8Array }
  | { type: 'doc-unavailable'; senderId: string; targetId: string; documentId: string }
  | { type: 'ephemeral'; senderId: string; targetId: string; documentId: string; sessionId: string; count: number; data: Uint8Array }

/** A frame or message the server refuses; `message` is safe to send back to the peer. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  /** The sender, when the frame was readable enough to name one. */
  readonly senderId: string | undefined

  constructor(message: string, senderId?: string) {
    super(message)
    this.senderId = senderId
  }
}

const IGNORED_TYPES = new Set(['doc-unavailable', 'remote-subscription-change', 'remote-heads-changed'])

const encoder = new Encoder({ tagUint8Array: false, useRecords: false })

export function encodeMessage(message: ServerMessage): Uint8Array {
  // cbor-x never overwrites a buffer it has returned, so the result may be handed to ws as is.
  return encoder.encode(message)
}

/**
 * A decoder per connection: cbor-x decoders remember record structures defined by earlier
 * frames, and one peer's frames must never change how another peer's are read.
 */
export function createFrameDecoder(): (frame: Uint8Array) => ClientMessage {
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
  return (frame) => {
    const problem = frameShapeProblem(frame, MAX_FRAME_DEPTH)
    if (problem !== null) throw new ProtocolError(`Malformed CBOR frame: ${problem}`)
    let value: unknown
    try {
      value = decoder.decode(frame)
    } catch (error) {
      throw new ProtocolError(`Malformed CBOR frame: ${describe(error)}`)
    }
    return parseClientMessage(value)
  }
}

export function parseClientMessage(value: unknown): ClientMessage {
  if (!isPlainObject(value)) throw new ProtocolError('A frame must be one CBOR map')
  const senderId = peerIdField(value, 'senderId')
  const type = value.type
  if (typeof type !== 'string') throw new ProtocolError('The message has no string "type"', senderId)
  if (type === 'join') {
    const versions = value.supportedProtocolVersions
    const wantsHeartbeat = isPlainObject(value.peerMetadata) && value.peerMetadata.synclineHeartbeat === true
    // automerge-repo before protocol versioning sent no list; those clients speak "1".
    if (versions === undefined) return { type, senderId, supportedProtocolVersions: [PROTOCOL_VERSION], wantsHeartbeat }
    if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) {
      throw new ProtocolError('"supportedProtocolVersions" must be a list of strings', senderId)
    }
    return { type, senderId, supportedProtocolVersions: versions as string[], wantsHeartbeat }
  }
  if (IGNORED_TYPES.has(type)) return { type: 'ignored', senderId }
  if (type !== 'sync' && type !== 'request' && type !== 'ephemeral') {
    throw new ProtocolError(`Unknown message type "${type.slice(0, 64)}"`, senderId)
  }
  if (typeof value.targetId !== 'string') throw new ProtocolError(`A "${type}" message needs a string "targetId"`, senderId)
  const documentId = value.documentId
  if (typeof documentId !== 'string' || !isValidDocumentId(documentId)) {
    throw new ProtocolError(`A "${type}" message needs a valid "documentId" (bs58check of 16 bytes)`, senderId)
  }
  const data = value.data
  if (!(data instanceof Uint8Array)) throw new ProtocolError(`A "${type}" message needs binary "data"`, senderId)
  if (type === 'ephemeral') {
    const { sessionId, count } = value
    if (typeof sessionId !== 'string') throw new ProtocolError('An "ephemeral" message needs a string "sessionId"', senderId)
    if (typeof count !== 'number' || !Number.isFinite(count)) {
      throw new ProtocolError('An "ephemeral" message needs a numeric "count"', senderId)
    }
    return { type, senderId, documentId, sessionId, count, data }
  }
  if (data.byteLength === 0) throw new ProtocolError(`A "${type}" message needs non-empty "data"`, senderId)
  return { type, senderId, documentId, data }
}

function peerIdField(value: Record<string, unknown>, key: string): string {
  const id = value[key]
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_PEER_ID_LENGTH) {
    throw new ProtocolError(`The message needs a "${key}" string of 1 to ${MAX_PEER_ID_LENGTH} characters`)
  }
  return id
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
