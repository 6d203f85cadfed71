import { decodeCbor, encodeCbor } from '../../wire/cbor.js'
import { errorMessage, SyncError } from '../errors.js'
import type { CheckedServerMessage, ClientToServerMessage } from '../../wire/messages.js'
import { validateServerMessage } from '../../wire/validateMessage.js'

/**
 * The automerge-repo WebSocket protocol "1", client side (DESIGN §7): every frame is one
 * binary CBOR map. This module turns frames into checked messages and messages into
 * frames; it knows nothing about sockets or documents.
 */

export { HEARTBEAT_TYPE, PROTOCOL_VERSION } from '../../wire/messages.js'

/** What the server may send us, after validation. */
export type ServerMessage = CheckedServerMessage

/** What we send. `senderId` and `targetId` are added by the connection. */
export type ClientMessage = ClientToServerMessage

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
        return new SyncError('protocol', `The server sent a frame that is not valid CBOR (${errorMessage(error)})`, { cause: error })
      }
      return parseServerMessage(value)
    },
    decodeEphemeralData: decodeCbor,
  }
}

/** The wire validator's answer as the client reports it: a refusal is a `'protocol'` SyncError. */
export function parseServerMessage(value: unknown): ServerMessage | SyncError {
  const checked = validateServerMessage(value)
  return checked.ok ? checked.message : new SyncError('protocol', checked.reason)
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
