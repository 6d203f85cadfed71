import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { Decoder, Encoder } from 'cbor-x'
import { WebSocket, WebSocketServer } from 'ws'
import type { WebSocket as WsSocket } from 'ws'
import type { DocConnectionInternals } from '../../../src/core/docs/docConnection.js'
import { createDocConnection } from '../../../src/core/docs/docConnection.js'
import type { DocConnection, DocConnectionOptions } from '../../../src/core/docs/types.js'

export const WebSocketImpl = WebSocket as unknown as typeof globalThis.WebSocket

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls until `check` returns a value: anything but `undefined`, `null` or `false`. `null`
 * counts as "not yet" because snapshot fields (`error`, `doc`) start as null; a wait for
 * one of them must not pass before anything has happened. Prefer explicit conditions
 * (`!== null`, `=== 'live'`) at the call site anyway.
 */
export async function until<T>(check: () => T | null | undefined | false, what = 'condition', timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== null && value !== false) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await delay(5)
  }
}

const cleanups: Array<() => Promise<void> | void> = []

/** Runs every registered cleanup, newest first; call it in afterEach. */
export async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup()
    } catch {
      // A cleanup of something a test already closed.
    }
  }
}

export interface RepoServer {
  url: string
  port: number
  dir: string
  repo: Repo
  /** Stops accepting, drops every client and flushes the repo's storage. */
  stop(): Promise<void>
}

/**
 * A stock automerge-repo sync server on loopback, as the automerge-repo docs set one up.
 * Pass `port` and `dir` to restart one on the same address and storage.
 */
export async function startRepoServer(options: { port?: number; dir?: string } = {}): Promise<RepoServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'syncline-docs-'))
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  const repo = new Repo({
    network: [new WebSocketServerAdapter(wss as never)],
    storage: new NodeFSStorageAdapter(dir),
    sharePolicy: async () => false,
    saveDebounceRate: 5,
  })
  // The adapter starts listening for connections only after the repo's storage id has
  // loaded; a client that connects earlier is never answered. So the port opens after that.
  await until(() => wss.listenerCount('connection') > 0, 'the repo to listen')
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = http.address() as AddressInfo
  let stopped: Promise<void> | undefined
  const server: RepoServer = {
    url: `ws://127.0.0.1:${port}`,
    port,
    dir,
    repo,
    stop: () =>
      (stopped ??= (async () => {
        // The server's 'close' event (which ends the adapter's keep-alive timer) waits for
        // every connection to end, so drop the clients right after asking it to close.
        const closed = new Promise<void>((resolve) => wss.close(() => resolve()))
        for (const client of wss.clients) client.terminate()
        await closed
        http.closeAllConnections()
        await new Promise<void>((resolve) => http.close(() => resolve()))
        const ready = Object.values(repo.handles).filter((handle) => handle.isReady())
        await repo.flush(ready.map((handle) => handle.documentId))
      })()),
  }
  cleanups.push(async () => {
    await server.stop()
    if (options.dir !== undefined) return
    // Let a throttled save that was already scheduled land before its directory goes.
    await delay(20)
    rmSync(dir, { recursive: true, force: true })
  })
  return server
}

/** Waits until the server holds a document (a Repo client's push is asynchronous). */
export async function untilServerHas(server: RepoServer, documentId: string): Promise<void> {
  await until(() => server.repo.handles[documentId as never]?.isReady(), `the server to have ${documentId}`)
}

/** A stock automerge-repo client (no storage) connected to `url`. */
export function repoClient(url: string): Repo {
  const adapter = new WebSocketClientAdapter(url, 100)
  const repo = new Repo({ network: [adapter] })
  cleanups.push(() => {
    adapter.disconnect()
  })
  return repo
}

/** Waits until a stock client's handle shows `predicate`. */
export async function untilHandle<T>(handle: DocHandle<T>, predicate: (doc: T) => boolean, what = 'the repo client document'): Promise<T> {
  return until(() => {
    const doc = handle.isReady() ? handle.doc() : undefined
    return doc !== undefined && predicate(doc) ? doc : undefined
  }, what)
}

export function asAutomergeUrl(url: string): AutomergeUrl {
  return url as AutomergeUrl
}

/** A syncline document connection, started, closed after the test. */
export function connect(url: string, options: Partial<DocConnectionOptions> = {}, internals?: DocConnectionInternals): DocConnection {
  const connection = createDocConnection(
    { url, WebSocket: WebSocketImpl, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, closeTimeoutMs: 1000, ...options },
    internals,
  )
  cleanups.push(() => connection.close())
  connection.start()
  return connection
}

/** Every status a connection passes through, in order. */
export function recordStatuses(connection: DocConnection): string[] {
  const statuses = [connection.getSnapshot().status as string]
  connection.subscribe(() => {
    const { status } = connection.getSnapshot()
    if (statuses.at(-1) !== status) statuses.push(status)
  })
  return statuses
}

export type Frame = Record<string, unknown> & { type?: unknown }

export interface RawServer {
  url: string
  /** Every frame received, decoded. */
  frames: Frame[]
  sockets: WsSocket[]
  /** The request path and query of every upgrade. */
  upgrades: string[]
  send(socket: WsSocket, message: unknown): void
}

const encoder = new Encoder({ tagUint8Array: false, useRecords: false })

/** A scripted server that speaks CBOR but none of the protocol: each test decides what to say. */
export async function rawServer(onFrame: (frame: Frame, socket: WsSocket, server: RawServer) => void): Promise<RawServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const { port } = wss.address() as { port: number }
  const server: RawServer = {
    url: `ws://127.0.0.1:${port}`,
    frames: [],
    sockets: [],
    upgrades: [],
    send: (socket, message) => socket.send(message instanceof Uint8Array ? message : encoder.encode(message)),
  }
  wss.on('connection', (socket, request) => {
    server.sockets.push(socket)
    server.upgrades.push(request.url ?? '')
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
    socket.on('message', (data: Buffer) => {
      const frame = decoder.decode(data) as Frame
      server.frames.push(frame)
      onFrame(frame, socket, server)
    })
  })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  )
  return server
}

/**
 * Answers `join` as a stock server would; after `lateMs` when given, as a busy server might
 * (tests use that so a wait that passes too early fails every time, not only under load).
 */
export function answerJoin(frame: Frame, socket: WsSocket, server: RawServer, options: { serverPeerId?: string; lateMs?: number } = {}): boolean {
  if (frame.type !== 'join') return false
  const answer = (): void =>
    server.send(socket, { type: 'peer', senderId: options.serverPeerId ?? 'raw-server', peerMetadata: { isEphemeral: false }, selectedProtocolVersion: '1', targetId: frame.senderId })
  if (options.lateMs === undefined) answer()
  else setTimeout(answer, options.lateMs)
  return true
}

export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value)
}
