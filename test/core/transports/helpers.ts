import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket as WsSocket } from 'ws'
import type { SyncError } from '../../../src/core/errors.js'
import type { RecordTransportSink, WatchEvent } from '../../../src/core/records/types.js'

export const COLLECTION = 'com.example.message'
export const WATCH_PATH = `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent('at://did:example:owner/room/1')}`

export const record = (rkey: string, text: string, time_us = 1) => ({
  uri: `at://did:example:a/${COLLECTION}/${rkey}`,
  did: 'did:example:a',
  rkey,
  collection: COLLECTION,
  value: { text },
  time_us,
})

/** One SSE frame, exactly as a server writes it. */
export const frame = (kind: string, data: unknown): string =>
  `event: ${kind}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

type Call =
  | { type: 'opened' }
  | { type: 'events'; batch: readonly WatchEvent[] }
  | { type: 'ignored'; error: SyncError }
  | { type: 'alive' }
  | { type: 'closed'; error: SyncError | null }

/** A sink that records every call in order and lets a test wait for a condition. */
export function recordingSink() {
  const calls: Call[] = []
  const waiters = new Set<() => void>()
  const push = (call: Call): void => {
    calls.push(call)
    for (const check of [...waiters]) check()
  }
  const sink: RecordTransportSink<Record<string, unknown>> = {
    opened: () => push({ type: 'opened' }),
    events: (batch) => push({ type: 'events', batch }),
    ignored: (error) => push({ type: 'ignored', error }),
    alive: () => push({ type: 'alive' }),
    closed: (error) => push({ type: 'closed', error }),
  }
  return {
    sink,
    calls,
    events: (): WatchEvent[] => calls.flatMap((call) => (call.type === 'events' ? call.batch : [])),
    kinds: (): string[] => calls.flatMap((call) => (call.type === 'events' ? call.batch.map((event) => event.kind) : [])),
    ignored: (): SyncError[] => calls.flatMap((call) => (call.type === 'ignored' ? [call.error] : [])),
    closed: (): Array<SyncError | null> => calls.flatMap((call) => (call.type === 'closed' ? [call.error] : [])),
    /** The calls without `alive`, by type, to check ordering. */
    trace: (): string[] => calls.filter((call) => call.type !== 'alive').map((call) => (call.type === 'events' ? `events(${call.batch.map((e) => e.kind).join(',')})` : call.type)),
    until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`Timed out; calls so far: ${JSON.stringify(calls.filter((c) => c.type !== 'alive').map((c) => (c.type === 'closed' || c.type === 'ignored' ? { ...c, error: c.error && { code: c.error.code, message: c.error.message } } : c)))}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

export interface RawServer {
  url: string
  server: Server
  requests: IncomingMessage[]
  /** Resolves when the server has seen the client's connection close (the client released it). */
  clientGone: () => Promise<void>
  close(): Promise<void>
}

const running: RawServer[] = []

/** A scripted HTTP server on 127.0.0.1, port 0; `closeAll()` in afterEach stops every one. */
export async function rawServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<RawServer> {
  const requests: IncomingMessage[] = []
  let gone: Promise<void> = Promise.resolve()
  const server = createServer((request, response) => {
    requests.push(request)
    gone = new Promise((resolve) => response.on('close', () => resolve()))
    handler(request, response)
  })
  if (onUpgrade) server.on('upgrade', onUpgrade)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const raw: RawServer = {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    clientGone: () => gone,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  running.push(raw)
  return raw
}

/** A `ws` server that accepts upgrades on `server` (or refuses them through `refuse`). */
export function socketServer(
  raw: RawServer,
  onConnection: (socket: WsSocket, request: IncomingMessage) => void,
  refuse?: (request: IncomingMessage) => number | undefined,
): { wss: WebSocketServer; upgrades: IncomingMessage[] } {
  const wss = new WebSocketServer({ noServer: true })
  const upgrades: IncomingMessage[] = []
  raw.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(request)
    const status = refuse?.(request)
    if (status !== undefined) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request))
  })
  wssRunning.push(wss)
  return { wss, upgrades }
}

const wssRunning: WebSocketServer[] = []

export async function closeAll(): Promise<void> {
  for (const wss of wssRunning.splice(0)) {
    for (const client of wss.clients) client.terminate()
    wss.close()
  }
  await Promise.all(running.splice(0).map((raw) => raw.close()))
}
