/** What the server tells its owner about clients and operations (wide events, one per thing). */
export type ClientTransport = 'sse' | 'ws' | 'automerge'

export interface ClientConnectEvent {
  userId: string
  /** Unique per connection for the life of the process. */
  clientId: string
  transport: ClientTransport
  remoteAddress: string | undefined
}

export interface ClientDisconnectEvent {
  userId: string
  clientId: string
  transport: ClientTransport
  /** Why it ended: 'client closed', 'server shutting down', 'member removed', 'too far behind', … */
  reason: string
}

export type SyncRequestStatus = 'ok' | 'unauthorized' | 'forbidden' | 'bad-request' | 'unavailable' | 'too-large' | 'error'

/** One operation: an HTTP call, a watch, or one document message. */
export interface SyncRequestEvent {
  /** Who made it; `undefined` when authentication failed before anyone was known. */
  userId: string | undefined
  clientId?: string
  /** The XRPC method (`watchRecords`, `putRecord`, `realtime.ticket`, …) or the document message type. */
  type: string
  collection?: string
  room?: string
  documentId?: string
  status: SyncRequestStatus
  /** HTTP status, for HTTP operations. */
  httpStatus?: number
  durationMs: number
  /** Payload bytes received for the operation. */
  bytes: number
}

/** What an operation turned out to be about, for its `onSyncRequest` event; handlers fill it in. */
export interface OperationInfo {
  type?: string | undefined
  userId?: string | undefined
  collection?: string | undefined
  room?: string | undefined
  clientId?: string | undefined
}

type Handler<E> = (event: E) => void

/**
 * Subscribers to server events. A handler that throws is reported to `onError` and the
 * others still run: an owner's logging bug must never break a client's request.
 */
export class ServerEvents {
  readonly #connect = new Set<Handler<ClientConnectEvent>>()
  readonly #disconnect = new Set<Handler<ClientDisconnectEvent>>()
  readonly #request = new Set<Handler<SyncRequestEvent>>()
  readonly #onError: (error: unknown) => void
  #nextClient = 0

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError
  }

  newClientId(): string {
    return `c${(++this.#nextClient).toString(36)}`
  }

  onClientConnect = (handler: Handler<ClientConnectEvent>): (() => void) => subscribe(this.#connect, handler)
  onClientDisconnect = (handler: Handler<ClientDisconnectEvent>): (() => void) => subscribe(this.#disconnect, handler)
  onSyncRequest = (handler: Handler<SyncRequestEvent>): (() => void) => subscribe(this.#request, handler)

  clientConnected(event: ClientConnectEvent): void {
    this.#emit(this.#connect, event)
  }

  clientDisconnected(event: ClientDisconnectEvent): void {
    this.#emit(this.#disconnect, event)
  }

  syncRequest(event: SyncRequestEvent): void {
    this.#emit(this.#request, event)
  }

  get hasRequestListeners(): boolean {
    return this.#request.size > 0
  }

  #emit<E>(handlers: Set<Handler<E>>, event: E): void {
    for (const handler of handlers) {
      try {
        handler(event)
      } catch (error) {
        this.#onError(error)
      }
    }
  }
}

function subscribe<E>(handlers: Set<Handler<E>>, handler: Handler<E>): () => void {
  handlers.add(handler)
  return () => handlers.delete(handler)
}

/** Maps an HTTP status to the event's status. */
export function requestStatus(httpStatus: number): SyncRequestStatus {
  if (httpStatus < 400) return 'ok'
  if (httpStatus === 401) return 'unauthorized'
  if (httpStatus === 403) return 'forbidden'
  if (httpStatus === 404) return 'unavailable'
  if (httpStatus === 413) return 'too-large'
  if (httpStatus < 500) return 'bad-request'
  return 'error'
}
