/**
 * Opt-in timestamps for case 1's relay breakdown, kept entirely in the benchmark: the library
 * carries no hook (so it costs nothing when off). `ws` sockets are wrapped instead:
 *  - in the server's process, `traceServerSockets()` patches `ws`'s WebSocket prototype so
 *    every frame received (the 'message' event, before any listener) and every `send` is
 *    logged;
 *  - in the client process, `tracedWebSocket(label)` is a `ws` WebSocket subclass, one per
 *    connection, logging that connection's sends and receives.
 * Times are `process.hrtime` (CLOCK_MONOTONIC, one clock for every process on the machine),
 * in ms, so the server's log and the clients' can be merged.
 */
import { WebSocket } from 'ws'

export interface TraceEvent {
  /** ms on the machine-wide monotonic clock. */
  t: number
  kind: 'send' | 'receive'
  /** Which socket: a client label ('A', 'B'), or the server's socket number. */
  socket: string
  bytes: number
}

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength
  if (ArrayBuffer.isView(data)) return data.byteLength
  if (Array.isArray(data)) return data.reduce((sum: number, part: Uint8Array) => sum + part.byteLength, 0)
  return typeof data === 'string' ? data.length : 0
}

/** A `ws` WebSocket whose frames in and out are logged into `log` under `label`. */
export function tracedWebSocket(label: string, log: TraceEvent[]): typeof WebSocket {
  return class TracedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      // Added before the library sets `onmessage`, so it runs first.
      this.on('message', (data) => log.push({ t: monotonicMs(), kind: 'receive', socket: label, bytes: byteLength(data) }))
      const self = this as unknown as { send(...args: unknown[]): void }
      const send = self.send.bind(this)
      self.send = (...args) => {
        log.push({ t: monotonicMs(), kind: 'send', socket: label, bytes: byteLength(args[0]) })
        send(...args)
      }
    }
  } as typeof WebSocket
}

/** Logs every server socket's frames (call once, in the server's process, before clients connect). */
export function traceServerSockets(): { take(): TraceEvent[]; clear(): void } {
  let log: TraceEvent[] = []
  const ids = new WeakMap<object, string>()
  let next = 0
  const idOf = (socket: object): string => {
    let id = ids.get(socket)
    if (id === undefined) ids.set(socket, (id = `server#${next++}`))
    return id
  }
  const proto = WebSocket.prototype as unknown as {
    emit(event: string | symbol, ...args: unknown[]): boolean
    send(...args: unknown[]): void
  }
  const emit = proto.emit
  const send = proto.send
  proto.emit = function (this: object, event, ...args) {
    if (event === 'message') log.push({ t: monotonicMs(), kind: 'receive', socket: idOf(this), bytes: byteLength(args[0]) })
    return emit.call(this, event, ...args)
  }
  proto.send = function (this: object, ...args) {
    log.push({ t: monotonicMs(), kind: 'send', socket: idOf(this), bytes: byteLength(args[0]) })
    send.apply(this, args)
  }
  return {
    take: () => {
      const taken = log
      log = []
      return taken
    },
    clear: () => {
      log = []
    },
  }
}

/** One edit's timestamps, in ms on the monotonic clock. */
export interface EditMarks {
  change: number
  /** B's snapshot listener saw the edit. */
  seen: number
}

export const HOPS = [
  "A change → A's socket send (A.change, the change's sync message built without generateSyncMessage, CBOR; A's listeners run after)",
  'A send → server receive (loopback, ws framing, server event loop)',
  'server receive → server send to B (decode, measure, receiveSyncMessage, generateSyncMessage for B, CBOR)',
  "server send → B receive (loopback, ws framing, client event loop)",
  "B receive → B's snapshot listeners (decode, receiveSyncMessage, reply, snapshot)",
] as const

/**
 * Splits each edit into the hops of `HOPS`, matching in time order: A's first send after the
 * change, the server's first receive after that, the server's first send to B's socket after
 * that, B's first receive after that. Edits whose chain is incomplete are skipped.
 */
export function breakdown(edits: readonly EditMarks[], client: readonly TraceEvent[], server: readonly TraceEvent[]): number[][] {
  const firstAfter = (events: readonly TraceEvent[], t: number, match: (event: TraceEvent) => boolean): TraceEvent | undefined => events.find((event) => event.t >= t && match(event))
  const hops: number[][] = HOPS.map(() => [])
  // The server socket B listens on: the one the server sends to just before B receives.
  for (const edit of edits) {
    const aSend = firstAfter(client, edit.change, (e) => e.socket === 'A' && e.kind === 'send')
    if (!aSend || aSend.t > edit.seen) continue
    const serverReceive = firstAfter(server, aSend.t, (e) => e.kind === 'receive')
    if (!serverReceive) continue
    const bReceive = firstAfter(client, serverReceive.t, (e) => e.socket === 'B' && e.kind === 'receive')
    if (!bReceive || bReceive.t > edit.seen) continue
    // The last server send before B's receive that went to another socket than A's frame came in on.
    const serverSends = server.filter((e) => e.kind === 'send' && e.t >= serverReceive.t && e.t <= bReceive.t && e.socket !== serverReceive.socket)
    const serverSend = serverSends[0]
    if (!serverSend) continue
    const marks = [edit.change, aSend.t, serverReceive.t, serverSend.t, bReceive.t, edit.seen]
    for (let hop = 0; hop < HOPS.length; hop++) hops[hop]!.push(marks[hop + 1]! - marks[hop]!)
  }
  return hops
}
