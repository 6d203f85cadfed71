import type { TapPoint } from '../eventTap.js'
import type { ConnectAttempt, TransportHandle } from '../connectionDriver.js'
import type { Environment } from '../environment.js'
import { errorMessage, SyncError, toSyncError } from '../errors.js'
import type { DocSocket, DocSocketHandlers } from './docSocket.js'
import { openDocSocket } from './docSocket.js'
import { DocumentTickets } from './docTicket.js'
import { PacedInbox } from './pacedInbox.js'

// For ephemeral messages' data: the codec comes with the socket that carries them.
export { decodeCbor } from '../../wire/cborDecode.js'
export { encodeCbor } from '../../wire/cborEncode.js'

/** What every connect attempt of one connection shares. */
export interface DocSessionOptions {
  readonly url: string
  readonly peerId: string
  readonly token: string | (() => Promise<string>) | undefined
  readonly ticketUrl: string | false | undefined
  readonly fetch: typeof fetch | undefined
  /** How long the ticket request may take before the token goes in the URL instead. */
  readonly ticketTimeoutMs: number
  readonly WebSocket: typeof WebSocket | undefined
  readonly handshakeTimeoutMs: number
  readonly heartbeatMs: number
  readonly environment: Environment
  /** Documents cannot sync without Automerge and the document code: they are loaded before the socket, not per message. */
  automerge(): Promise<unknown>
  ignored(error: unknown): void
  readonly tap?: TapPoint | undefined
}

/** What the session tells the connection, which routes it to the documents. */
export interface DocSessionEvents {
  /** The server answered `join`: a session starts on `socket`. */
  peer(socket: DocSocket, serverPeerId: string): void
  message: DocSocketHandlers['message']
  /** `socket` (null if it never opened) is gone: its session, if any, is over. */
  ended(socket: DocSocket | null): void
}

/** Makes one connect attempt; see `sessionConnector`. */
export type SessionConnector = (attempt: ConnectAttempt, events: DocSessionEvents) => TransportHandle

/**
 * The connect attempts of one connection (they share what the ticket endpoint answered).
 * Each is Automerge, the token, a ticket for it, then the socket; `attempt` hears how it
 * goes, for the connection's state machine. This module loads with Automerge, not with the
 * page: no socket can sync before Automerge is here.
 */
export function sessionConnector(options: DocSessionOptions): SessionConnector {
  const tickets = new DocumentTickets({
    socketUrl: options.url,
    ticketUrl: options.ticketUrl,
    fetch: options.fetch,
    environment: options.environment,
    timeoutMs: options.ticketTimeoutMs,
  })
  return (attempt, events) => connectDocSession(options, tickets, attempt, events)
}

function connectDocSession(options: DocSessionOptions, tickets: DocumentTickets, attempt: ConnectAttempt, events: DocSessionEvents): TransportHandle {
  let socket: DocSocket | null = null
  let closed = false
  // The server's messages, in order, at most a slice of each task (a backlog must not block the page).
  const inbox = new PacedInbox<Parameters<DocSocketHandlers['message']>[0]>((message) => {
    try {
      events.message(message)
    } catch (error) {
      // Applied in a later task, a message's failure no longer reaches the socket's own guard.
      const failure = toSyncError(error, 'protocol')
      options.ignored(failure)
      attempt.problem(failure)
    }
  }, options.environment)
  const run = async (): Promise<void> => {
    try {
      await options.automerge()
    } catch (error) {
      // A missing peer dependency does not install itself: no retry loop. syncline's own
      // document code that failed to arrive ('network') is fetched again by the next attempt.
      const failure = toSyncError(error, 'unavailable')
      return attempt.lost(failure, { retry: failure.code === 'network' })
    }
    let token: string | undefined
    try {
      token = typeof options.token === 'function' ? await options.token() : options.token
    } catch (error) {
      // Retried with backoff, unless the token source itself says 'unauthorized'.
      return attempt.lost(toSyncError(error, 'network'))
    }
    if (closed) return
    const credential = await tickets.credential(token)
    if (credential instanceof SyncError) {
      return attempt.lost(credential, { retry: credential.code !== 'unauthorized' && credential.code !== 'forbidden' })
    }
    if (closed) return
    const WebSocketImpl = options.WebSocket ?? (globalThis.WebSocket as typeof WebSocket | undefined)
    if (!WebSocketImpl) {
      throw new SyncError('bad-input', 'No WebSocket implementation: pass the WebSocket option (in Node 20, the "ws" package\'s WebSocket)')
    }
    socket = openSocket({
      url: options.url,
      token,
      ...('ticket' in credential && { ticket: credential.ticket }),
      peerId: options.peerId,
      WebSocket: WebSocketImpl,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      heartbeatMs: options.heartbeatMs,
      environment: options.environment,
      tap: options.tap,
      handlers: {
        peer: (serverPeerId) => events.peer(socket!, serverPeerId),
        message: (message) => inbox.push(message),
        problem: (error) => {
          options.ignored(error)
          attempt.problem(error)
        },
        closed: (error, retry) => {
          // What the socket said and is not applied yet belongs to sync states that are gone.
          inbox.clear()
          events.ended(socket)
          attempt.lost(error, { retry })
        },
      },
    })
  }
  run().catch((error: unknown) => {
    const failure = toSyncError(error, 'network')
    // Without a WebSocket or a usable URL, retrying cannot help.
    attempt.lost(failure, { retry: failure.code !== 'bad-input' })
  })
  return {
    close: () => {
      closed = true
      inbox.clear()
      events.ended(socket)
      socket?.close()
    },
  }
}

function openSocket(options: Parameters<typeof openDocSocket>[0]): DocSocket {
  try {
    return openDocSocket(options)
  } catch (error) {
    // The WebSocket constructor throws only for URLs it will never accept.
    throw new SyncError('bad-input', `Cannot open a WebSocket to ${options.url}: ${errorMessage(error)}`, { cause: error })
  }
}
