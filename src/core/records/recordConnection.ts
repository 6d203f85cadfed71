import type { ConnectAttempt, TransportHandle } from '../connectionDriver.js'
import { toSyncError } from '../errors.js'
import type { TapPoint } from '../eventTap.js'
import type { Timers } from '../silenceWatch.js'
import type { LazyModule } from '../lazyModule.js'
import type { RecordStoreOptions, RecordTransport, WatchEvent } from './types.js'

/** Servers send a keepalive every ~15 s; three missed ones mean the connection is dead. */
export const DEFAULT_HEARTBEAT_MS = 45_000

/** What the store does with one attempt's stream. */
export interface RecordStreamHandlers<V> {
  events(batch: readonly WatchEvent<V>[]): void
  /** The stream ended: a snapshot it was sending will not be completed. */
  ended(): void
}

/**
 * One connection attempt of a record store: mints a fresh ticket (tickets are short-lived and
 * scoped to one watch), picks the transport, and wires its sink to the attempt. Closing the
 * handle before the ticket or the transport has arrived means nothing is opened.
 */
export function connectRecords<V>(
  attempt: ConnectAttempt,
  url: string,
  /** The collection `url` watches; undefined when it names none. */
  collection: string | undefined,
  options: RecordStoreOptions<V>,
  module: LazyModule<RecordTransport>,
  timers: Timers,
  handlers: RecordStreamHandlers<V>,
  tap?: TapPoint,
): TransportHandle {
  // Each transport (`module`) loads with the first start of a store that uses it (recordStore.ts),
  // at the same time as this module and the cache's first read, so first paint never waits for
  // it. After that, attempts (reconnects, other stores) open it synchronously.
  const transport: RecordTransport | Promise<RecordTransport> = module.loaded ?? module.load()
  let handle: TransportHandle | null = null
  let closed = false
  const open = (ticket: string | undefined, transport: RecordTransport): void => {
    if (closed) return
    handle = transport<V>({
      url,
      collection,
      ticket,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      WebSocket: options.WebSocket,
      allowedSocketOrigins: options.allowedSocketOrigins,
      signal: attempt.signal,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      timers,
      maxEventLength: options.maxEventLength,
      tap,
      sink: {
        opened: () => attempt.opened(),
        alive: () => attempt.alive(),
        events: (batch) => handlers.events(batch),
        ignored: (error) => {
          options.onIgnoredError?.(error)
          attempt.problem(error)
        },
        closed: (error, retry) => {
          handlers.ended()
          attempt.lost(error, { retry: retry ?? true })
        },
      },
    })
  }
  const mint = options.mintTicket
  if (typeof mint === 'function' || transport instanceof Promise) {
    Promise.all([typeof mint === 'function' ? mint() : mint, transport]).then(
      ([ticket, loaded]) => open(ticket, loaded),
      (error: unknown) => attempt.lost(toSyncError(error, 'network')),
    )
  } else {
    open(mint, transport)
  }
  return {
    close: () => {
      closed = true
      handle?.close()
    },
  }
}
