/**
 * The automerge-repo WebSocket protocol "1" (DESIGN §7), declared once for the client
 * (`src/core/docs`) and the reference server (`src/server/docs`): every frame is one binary
 * CBOR map of one of these shapes.
 */

export const PROTOCOL_VERSION = '1'

/**
 * syncline's own server sends this to peers that ask (`peerMetadata.synclineHeartbeat: true`):
 * a sign of life a browser page can see, as browsers hide WebSocket pings. Not part of
 * protocol "1"; stock automerge-repo clients never ask, and would drop it unread.
 */
export const HEARTBEAT_TYPE = 'syncline-heartbeat'

/** Peer ids are opaque strings; this bound only keeps a hostile one from bloating every frame. */
export const MAX_PEER_ID_LENGTH = 256

/**
 * Valid protocol messages that only carry gossip syncline has no use for (automerge-repo 2's
 * remote-heads messages). Both sides read them as `ignored`, never as an error.
 */
export const GOSSIP_TYPES: ReadonlySet<string> = new Set(['remote-heads-changed', 'remote-subscription-change'])

/** What a client sends. `senderId` and `targetId` are set by the connection. */
export type ClientToServerMessage =
  | { type: 'join'; senderId: string; peerMetadata: { isEphemeral: true; synclineHeartbeat?: true }; supportedProtocolVersions: string[] }
  | { type: 'sync' | 'request'; senderId: string; targetId: string; documentId: string; data: Uint8Array }
  | { type: 'ephemeral'; senderId: string; targetId: string; documentId: string; sessionId: string; count: number; data: Uint8Array }

/** What a server sends. */
export type ServerToClientMessage =
  | { type: 'peer'; senderId: string; peerMetadata: { isEphemeral: false }; selectedProtocolVersion: string; targetId: string }
  | { type: typeof HEARTBEAT_TYPE; senderId: string; targetId: string; intervalMs: number }
  | { type: 'error'; senderId: string; message: string; targetId?: string }
  | { type: 'sync'; senderId: string; targetId: string; documentId: string; data: Uint8Array }
  | { type: 'doc-unavailable'; senderId: string; targetId: string; documentId: string }
  | { type: 'ephemeral'; senderId: string; targetId: string; documentId: string; sessionId: string; count: number; data: Uint8Array }

export interface SyncMessage {
  type: 'sync' | 'request'
  senderId: string
  documentId: string
  /** `Automerge.generateSyncMessage` bytes; never empty (see `validateDocumentFields`). */
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

export interface DocUnavailableMessage {
  type: 'doc-unavailable'
  senderId: string
  documentId: string
}

/** A valid message the reader has no use for; `messageType` is its `type`. */
export interface IgnoredMessage {
  type: 'ignored'
  senderId: string | undefined
  messageType: string
}

/** A client's message as the server reads it. */
export type CheckedClientMessage =
  | {
      type: 'join'
      senderId: string
      supportedProtocolVersions: readonly string[]
      /** The peer asked for `syncline-heartbeat` messages (`peerMetadata.synclineHeartbeat: true`). */
      wantsHeartbeat: boolean
    }
  | SyncMessage
  | EphemeralMessage
  | DocUnavailableMessage
  | (IgnoredMessage & { senderId: string })

/** A server's message as the client reads it. */
export type CheckedServerMessage =
  | { type: 'peer'; senderId: string; selectedProtocolVersion: string }
  | { type: 'error'; senderId: string | undefined; message: string }
  | SyncMessage
  | DocUnavailableMessage
  | EphemeralMessage
  /** The server's heartbeat, and how often it promises one (undefined if it does not say). */
  | { type: typeof HEARTBEAT_TYPE; intervalMs: number | undefined }
  | IgnoredMessage

/**
 * A validator's answer: the checked message, or why the value is not one (`reason` is safe
 * to show to people and to send back to a peer; `senderId` names the sender when the value
 * was readable enough to name one). Each side wraps `reason` in its own error type.
 */
export type Validation<T> = { ok: true; message: T } | { ok: false; reason: string; senderId?: string | undefined }
