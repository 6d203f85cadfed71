import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Repo } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { DocConnection } from '../../../src/core/docs/types.js'
import { createSyncServer, memoryStorage } from '../../../src/server/index.js'
import type { FaultProxy } from '../../support/faultProxy.js'
import { startFaultProxy } from '../../support/faultProxy.js'
import { generateDocumentId } from '../../../src/core/docs/documentId.js'
import { answerJoin, closeAll, connect, delay, rawServer, repoClient, until } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await closeAll()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ port })
  cleanups.push(() => proxy.close())
  return proxy
}

async function syncServer(keepaliveMs: number): Promise<number> {
  const server = createSyncServer({ port: 0, storage: memoryStorage(), keepaliveMs })
  await server.start()
  cleanups.push(() => server.close())
  return server.port
}

/** A stock automerge-repo server whose WebSocket pings come every `keepAliveMs`: it sends nothing a page can see. */
async function stockServer(keepAliveMs: number): Promise<number> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  const repo = new Repo({ network: [new WebSocketServerAdapter(wss as never, keepAliveMs)], sharePolicy: async () => false })
  await until(() => wss.listenerCount('connection') > 0, 'the stock repo to listen')
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    const closed = new Promise<void>((resolve) => wss.close(() => resolve()))
    for (const client of wss.clients) client.terminate()
    await closed
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
    await repo.shutdown()
  })
  return (http.address() as AddressInfo).port
}

const wsUrl = (proxy: FaultProxy): string => proxy.url.replace('http:', 'ws:') + '/'

/** Blackholes the path, waits for the connection to notice, lets attempts be swallowed, heals, waits for live. */
async function survivesBlackhole(connection: DocConnection, proxy: FaultProxy, windowMs: number): Promise<void> {
  proxy.blackhole()
  // Nothing closes in a blackhole: only silence can end the socket. Ten windows of slack.
  await until(() => connection.getSnapshot().status !== 'live', 'the connection to leave live', 10 * windowMs)
  expect(connection.getSnapshot().error?.code).toBe('network')
  const swallowed = proxy.accepted
  await until(() => proxy.accepted >= swallowed + 2, 'two reconnect attempts swallowed by the blackhole')
  expect(connection.getSnapshot().status).not.toBe('live')
  proxy.heal()
  await until(() => connection.getSnapshot().status === 'live', 'the connection to be live again after healing')
}

describe('a document connection through a path that goes half-open', () => {
  it("notices against syncline's server (its heartbeats), reconnects once healed, and syncs again", async () => {
    const proxy = await proxyTo(await syncServer(100))
    const connection = connect(wsUrl(proxy), { heartbeatMs: 300 }, { handshakeTimeoutMs: 300 })
    const store = connection.create<{ n: number }>({ n: 1 })
    await store.whenSaved('server')
    await until(() => connection.getSnapshot().status === 'live', 'live')

    await survivesBlackhole(connection, proxy, 300)
    store.change((doc) => {
      doc.n = 2
    })
    await store.whenSaved('server')
    expect(store.getSnapshot().doc).toEqual({ n: 2 })
  })

  it("stays live on a healthy but quiet path to syncline's server", async () => {
    const proxy = await proxyTo(await syncServer(100))
    // Six heartbeats per window, not three: a busy test machine can stall a turn or two.
    const connection = connect(wsUrl(proxy), { heartbeatMs: 600 }, { handshakeTimeoutMs: 600 })
    await until(() => connection.getSnapshot().status === 'live', 'live')
    const statuses: string[] = []
    connection.subscribe(() => statuses.push(connection.getSnapshot().status))
    const accepted = proxy.accepted
    await delay(1800)
    expect(statuses).toEqual([])
    expect(proxy.accepted).toBe(accepted)
  })

  it('notices against a stock automerge-repo server in Node, where its pings are visible', async () => {
    // The stock server also drops a client that misses one pong, so its interval is not too tight either.
    const proxy = await proxyTo(await stockServer(300))
    const connection = connect(wsUrl(proxy), { heartbeatMs: 900 }, { handshakeTimeoutMs: 900 })
    await until(() => connection.getSnapshot().status === 'live', 'live')
    // Before blackholing, a quiet stretch longer than the window: pings alone keep it live.
    await delay(1800)
    expect(connection.getSnapshot()).toMatchObject({ status: 'live', error: null })
    await survivesBlackhole(connection, proxy, 900)
  })
})

describe('a stock automerge-repo client that is sent syncline-heartbeat anyway', () => {
  it('drops it without an error or a reconnect, and keeps talking to the server', async () => {
    const server = await rawServer((frame, socket, raw) => {
      if (!answerJoin(frame, socket, raw)) return
      for (let i = 0; i < 5; i++) raw.send(socket, { type: 'syncline-heartbeat', senderId: 'raw-server', targetId: frame.senderId, intervalMs: 20 })
    })
    const repo = repoClient(server.url)
    const documentId = generateDocumentId()
    // After the beats, the client still asks the same socket for a document.
    void repo.find(documentId as never).catch(() => {})
    await until(() => server.frames.some((frame) => frame.type === 'request' && frame.documentId === documentId), 'the stock client to send request after the heartbeats')
    expect(server.sockets.length).toBe(1)
    expect(server.frames.filter((frame) => frame.type === 'join').length).toBe(1)
  })
})
