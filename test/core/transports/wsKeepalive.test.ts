import type { IncomingMessage, ServerResponse } from 'node:http'
import { WebSocket } from 'ws'
import type { WebSocket as WsSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { parseWatchEvent } from '../../../src/core/records/parseWatchEvent.js'
import { wsTransport } from '../../../src/core/records/wsTransport.js'
import type { Timers } from '../../../src/core/silenceWatch.js'
import { COLLECTION, WATCH_PATH, closeAll, rawServer, record, recordingSink, socketServer } from './helpers.js'

afterEach(closeAll)

const WebSocketImpl = WebSocket as unknown as typeof globalThis.WebSocket

const handshake = (overrides: Record<string, unknown> = {}) => ({
  transport: 'ws',
  snapshot: { records: [record('r1', 'one')], cursor: null },
  ticket: 'ws-ticket',
  wsUrl: `/xrpc/${COLLECTION}.watchRecords/socket`,
  ...overrides,
})

const json = (body: unknown) => (_request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

/** Timers the test fires by hand: what is pending, and for how long, is visible. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let next = 0
  const timers: Timers = {
    setTimeout(callback, ms) {
      pending.set(++next, { callback, ms })
      return next
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    /** The delays of the timers now pending. */
    delays: (): number[] => [...pending.values()].map((timer) => timer.ms),
    fireAll(): void {
      for (const [id, timer] of [...pending]) {
        pending.delete(id)
        timer.callback()
      }
    },
  }
}

async function connect(body: unknown, onSocket: (socket: WsSocket) => void, options: { heartbeatMs?: number; timers?: Timers } = {}) {
  const server = await rawServer(json(body))
  socketServer(server, onSocket)
  const recorder = recordingSink()
  const handle = wsTransport({
    url: server.url + WATCH_PATH,
    collection: COLLECTION,
    fetch: globalThis.fetch,
    WebSocket: WebSocketImpl,
    signal: new AbortController().signal,
    sink: recorder.sink,
    heartbeatMs: options.heartbeatMs,
    timers: options.timers,
  })
  return { handle, ...recorder }
}

describe('keepalives on a records watch socket', () => {
  it('takes { kind: "keepalive" } (with or without data) as a sign of life, not as an event or a protocol error', async () => {
    const t = await connect(handshake(), (socket) => {
      socket.send(JSON.stringify({ kind: 'keepalive' }))
      socket.send(JSON.stringify({ kind: 'keepalive', data: { at: 1 } }))
      socket.send(JSON.stringify({ kind: 'record.created', data: { record: record('r2', 'two') } }))
    })
    await t.until(() => t.kinds().includes('record.created'))
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record)', 'events(snapshot.end)', 'events(record.created)'])
    expect(t.ignored()).toEqual([])
    // open + two keepalives + the record: each one counts as life.
    expect(t.calls.filter((call) => call.type === 'alive').length).toBe(4)
  })

  it('never times out an open socket of a server that shows no keepalives, until it sends one', async () => {
    const clock = manualTimers()
    let serverSocket: WsSocket | null = null
    const t = await connect(handshake(), (socket) => (serverSocket = socket), { heartbeatMs: 300, timers: clock.timers })
    await t.until(() => t.kinds().includes('snapshot.end'))
    // The handshake deadline is gone and no silence deadline replaced it.
    expect(clock.delays()).toEqual([])
    clock.fireAll()
    expect(t.closed()).toEqual([])

    serverSocket!.send(JSON.stringify({ kind: 'keepalive' }))
    await t.until(() => clock.delays().length > 0)
    expect(clock.delays()).toEqual([300])
    clock.fireAll()
    expect(t.closed().map((error) => error?.code)).toEqual(['network'])
    expect(t.closed()[0]!.message).toContain('No data or keepalive')
  })

  it("watches silence from the socket's opening when the handshake announces keepaliveMs, never under two intervals", async () => {
    const clock = manualTimers()
    const t = await connect(handshake({ keepaliveMs: 200 }), () => {}, { heartbeatMs: 300, timers: clock.timers })
    await t.until(() => t.kinds().includes('snapshot.end'))
    expect(clock.delays()).toEqual([400])
    clock.fireAll()
    expect(t.closed().map((error) => error?.code)).toEqual(['network'])
  })

  it('ignores a keepaliveMs that is not a positive number instead of refusing the handshake', async () => {
    const clock = manualTimers()
    const t = await connect(handshake({ keepaliveMs: 'often' }), () => {}, { heartbeatMs: 300, timers: clock.timers })
    await t.until(() => t.kinds().includes('snapshot.end'))
    expect(clock.delays()).toEqual([])
    expect(t.closed()).toEqual([])
  })

  it('gives up on a handshake that never answers after heartbeatMs, as a network error', async () => {
    const server = await rawServer(() => {}) // accepts the request, answers nothing
    const recorder = recordingSink()
    wsTransport({
      url: server.url + WATCH_PATH,
      collection: COLLECTION,
      fetch: globalThis.fetch,
      WebSocket: WebSocketImpl,
      signal: new AbortController().signal,
      sink: recorder.sink,
      heartbeatMs: 100,
    })
    await recorder.until(() => recorder.closed().length > 0)
    expect(recorder.closed()[0]!.code).toBe('network')
    expect(recorder.closed()[0]!.message).toContain('did not complete the WebSocket handshake within 100 ms')
  })
})

describe('parseWatchEvent and keepalive', () => {
  it('accepts a keepalive with no data, JSON text or an object, and never calls it a protocol error', () => {
    expect(parseWatchEvent('keepalive', undefined)).toEqual({ kind: 'keepalive', data: {} })
    expect(parseWatchEvent('keepalive', '{}')).toEqual({ kind: 'keepalive', data: {} })
    expect(parseWatchEvent('keepalive', 'not json')).toEqual({ kind: 'keepalive', data: {} })
  })
})
