import type { IncomingMessage } from 'node:http'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../../src/core/docs/docConnection.js'
import type { AutomergeDocConnection } from '../../../src/core/docs/docConnection.js'
import type { SyncRequestEvent } from '../../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../../src/server/index.js'
import { answerJoin, closeAll, rawServer, until } from './helpers.js'

/**
 * Issue 13, item 13: the document client trades its bearer token for a short-lived
 * documents ticket and puts only that in the socket URL; `?token=` is left for servers
 * without a ticket endpoint. Real servers on loopback: syncline's, and a stock-like one.
 */
const TOKEN = 'did:example:alice'
const connections: AutomergeDocConnection[] = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
  await closeAll()
})

function connect(url: string, options: { ticketUrl?: string | false } = {}): AutomergeDocConnection {
  const connection = createDocConnection({ url, token: TOKEN, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: false, closeTimeoutMs: 50, ...options })
  connections.push(connection)
  connection.start()
  return connection
}

describe('documents tickets on the document socket', () => {
  it('syncs through syncline\'s server with a ticket in the URL and the token only in an Authorization header', async () => {
    const server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: ({ token }) => (token === TOKEN ? { userId: TOKEN } : undefined) })
    const upgrades: string[] = []
    server.httpServer.on('upgrade', (request: IncomingMessage) => upgrades.push(request.url ?? ''))
    const events: SyncRequestEvent[] = []
    server.onSyncRequest((event) => events.push(event))
    await server.start()
    try {
      const connection = connect(server.url.replace('http', 'ws'))
      const store = connection.create({ title: 'hello' })
      await store.whenSaved('server')
      expect(upgrades).toHaveLength(1)
      expect(upgrades[0]).toMatch(/^\/\?ticket=/)
      expect(upgrades[0]).not.toContain('token=')
      expect(upgrades[0]).not.toContain(encodeURIComponent(TOKEN))
      expect(events).toContainEqual(expect.objectContaining({ type: 'realtime.ticket', userId: TOKEN, status: 'ok' }))
    } finally {
      await Promise.all(connections.splice(0).map((connection) => connection.close()))
      await server.close()
    }
  })

  it('falls back to ?token= on a server without a ticket endpoint (a ws-only server answers 426)', async () => {
    const server = await rawServer((frame, socket, raw) => answerJoin(frame, socket, raw))
    const connection = connect(server.url)
    await until(() => connection.getSnapshot().status === 'live', 'live on the stock-like server')
    expect(server.upgrades).toEqual([`/?token=${encodeURIComponent(TOKEN)}`])
  })

  it('is refused as unauthorized when the ticket endpoint refuses the token, without opening a socket', async () => {
    const server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: () => undefined })
    const upgrades: string[] = []
    server.httpServer.on('upgrade', (request: IncomingMessage) => upgrades.push(request.url ?? ''))
    await server.start()
    try {
      const connection = connect(server.url.replace('http', 'ws'))
      const closed = await until(() => (connection.getSnapshot().error !== null ? connection.getSnapshot() : undefined), 'the refusal')
      expect(closed.error?.code).toBe('unauthorized')
      expect(upgrades).toEqual([])
    } finally {
      await Promise.all(connections.splice(0).map((connection) => connection.close()))
      await server.close()
    }
  })

  it('asks for the ticket with the socket URL\'s query, so a development server\'s devDid still names the caller', async () => {
    const server = createSyncServer({ port: 0, storage: memoryStorage() })
    const users: string[] = []
    server.onClientConnect((event) => users.push(event.userId))
    await server.start()
    try {
      const connection = connect(`${server.url.replace('http', 'ws')}/?devDid=${encodeURIComponent('did:example:carol')}`)
      await until(() => connection.getSnapshot().status === 'live', 'live on the development server')
      expect(users).toEqual(['did:example:carol'])
    } finally {
      await Promise.all(connections.splice(0).map((connection) => connection.close()))
      await server.close()
    }
  })

  it('sends the token in the URL without asking when ticketUrl is false', async () => {
    const server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: ({ token }) => (token === TOKEN ? { userId: TOKEN } : undefined) })
    const upgrades: string[] = []
    server.httpServer.on('upgrade', (request: IncomingMessage) => upgrades.push(request.url ?? ''))
    await server.start()
    try {
      const connection = connect(server.url.replace('http', 'ws'), { ticketUrl: false })
      await until(() => connection.getSnapshot().status === 'live', 'live with ?token=')
      expect(upgrades).toEqual([`/?token=${encodeURIComponent(TOKEN)}`])
    } finally {
      await Promise.all(connections.splice(0).map((connection) => connection.close()))
      await server.close()
    }
  })
})
