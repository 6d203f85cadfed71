import { decodeCbor, encodeCbor } from '../../wire/cbor.js'
import type { CheckedClientMessage, EphemeralMessage, ServerToClientMessage, SyncMessage } from '../../wire/messages.js'
import { validateClientMessage } from '../../wire/validateMessage.js'
import { frameShapeProblem } from './frameShape.js'

/**
 * The automerge-repo WebSocket protocol "1", server side: every frame is one binary CBOR
 * map. This module turns frames into checked messages and messages into frames; it knows
 * nothing about sockets or documents.
 */

export { HEARTBEAT_TYPE, PROTOCOL_VERSION } from '../../wire/messages.js'
export type { EphemeralMessage, SyncMessage } from '../../wire/messages.js'

/** Protocol "1" frames nest at most four levels (remote-heads gossip); anything deeper is hostile. */
export const MAX_FRAME_DEPTH = 16

export type JoinMessage = Extract<CheckedClientMessage, { type: 'join' }>

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

export type ServerMessage = ServerToClientMessage

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

/**
 * Byte strings untagged, maps as plain maps: the project's own codec (src/wire/cbor.ts) writes
 * the same bytes as automerge-repo's `new Encoder({ tagUint8Array: false, useRecords: false })`,
 * and returns a fresh buffer each time, so the result may be handed to ws as is.
 */
export function encodeMessage(message: ServerMessage): Uint8Array {
  return encodeCbor(message)
}

/**
 * A decoder per connection. The codec keeps no state between frames (it knows nothing of
 * cbor-x's record structures, which stock automerge-repo clients never send: they encode
 * with `useRecords: false`, and `frameShapeProblem` refuses every tag but 64 in any case),
 * so one peer's frames can never change how another's are read.
 */
export function createFrameDecoder(): (frame: Uint8Array) => ClientMessage {
  return (frame) => {
    // Before decoding: the decoder is recursive, and the shape check bounds depth and tags.
    const problem = frameShapeProblem(frame, MAX_FRAME_DEPTH)
    if (problem !== null) throw new ProtocolError(`Malformed CBOR frame: ${problem}`)
    let value: unknown
    try {
      value = decodeCbor(frame)
    } catch (error) {
      throw new ProtocolError(`Malformed CBOR frame: ${describe(error)}`)
    }
    return parseClientMessage(value)
  }
}

/** The wire validator's answer as the server reports it: a refusal throws a `ProtocolError`. */
export function parseClientMessage(value: unknown): ClientMessage {
  const checked = validateClientMessage(value)
  if (!checked.ok) throw new ProtocolError(checked.reason, checked.senderId)
  const message = checked.message
  // Checked like any document message, then dropped: a relay never asks a peer for a document.
  if (message.type === 'doc-unavailable' || message.type === 'ignored') return { type: 'ignored', senderId: message.senderId }
  return message
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
