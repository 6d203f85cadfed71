import type { IncomingMessage } from 'node:http'
import type { Gatekeeper } from '../auth.js'
import type { ServerEvents } from '../events.js'
import type { SendBudget } from '../sendBudget.js'
import type { StorageProvider } from '../storage/types.js'
import type { TicketSigner } from '../tickets.js'
import type { LazyWebSocketServer } from '../webSocketServer.js'
import type { RecordHub } from './recordHub.js'
import type { WatchAccess } from './watchAccess.js'

export interface RecordServiceOptions {
  storage: StorageProvider
  hub: RecordHub
  gate: Gatekeeper
  tickets: TicketSigner
  wss: LazyWebSocketServer
  events: ServerEvents
  ticketTtlMs: number
  keepaliveMs: number
  /** The base URL of the absolute `wsUrl` a handshake returns (publicOrigin.ts). */
  publicOrigin: (request: IncomingMessage) => URL
  maxBodyBytes: number
  /** Objects and arrays a record value may nest; deeper gets a 400. */
  maxRecordDepth: number
  /** Takes a per-user and per-address connection slot for a watch, or throws 429; returns its release. */
  admit: (userId: string, request: IncomingMessage) => () => void
  /** Shared with the document sockets: past it, the watch holding the most unsent bytes is dropped. */
  sendBudget: SendBudget
  onError: (error: unknown) => void
}

/** What the record handlers share: the service's options and its watch access. */
export interface RecordContext extends RecordServiceOptions {
  readonly access: WatchAccess
}

/** A watcher that falls this far behind is cut off; it reconnects and catches up by snapshot. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
