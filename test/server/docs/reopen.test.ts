import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createMemoryCache } from '../../../src/core/cache/memoryCache.js'
import { createDocConnection } from '../../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../../src/core/docs/types.js'
import { closeAll, startDocServer, until } from './helpers.js'

afterEach(closeAll)

type Doc = { e: Record<string, true> }

const connections: DocConnection[] = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

function connect(url: string, withCache: boolean): DocConnection {
  const connection = createDocConnection({ url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: false, ...(withCache && { cache: createMemoryCache() }) })
  connection.start()
  connections.push(connection)
  return connection
}

/**
 * Found by the soak (seed 1): a peer that closes a document, misses changes while it is
 * closed (the server sent them; the peer dropped them), then opens it again on the same
 * socket starts over with a fresh sync state. The server's sync state still counted those
 * changes as sent, so it never sent them again: the reopened document stayed behind, and
 * `saved.server` stayed false, for as long as the socket lived.
 */
describe('a document opened again on the same connection', () => {
  for (const withCache of [true, false]) {
    it(`receives the changes made while it was closed (${withCache ? 'with' : 'without'} a cache)`, async () => {
      const server = await startDocServer()
      const a = connect(server.url, false)
      const b = connect(server.url, withCache)
      const writer = a.create<Doc>({ e: {} })
      await writer.whenSaved('server')
      let reader = b.open<Doc>(writer.url)
      await until(() => reader.getSnapshot().status === 'ready', 3000, 'b to load the document')
      reader.change((doc) => void (doc.e.fromB = true))
      await reader.whenSaved('server')
      reader.close()

      writer.change((doc) => void (doc.e.whileClosed = true))
      await writer.whenSaved('server')
      // Give the server's message to the closed document time to arrive (and be dropped).
      await new Promise((resolve) => setTimeout(resolve, 100))

      reader = b.open<Doc>(writer.url)
      await until(() => reader.getSnapshot().doc?.e.whileClosed === true, 3000, 'the reopened document to receive the change made while it was closed')
      await until(() => reader.getSnapshot().saved.server, 3000, 'saved.server on the reopened document')
      expect(reader.getSnapshot().doc?.e).toEqual({ fromB: true, whileClosed: true })
    })
  }

  /**
   * Found by the soak (seed 7, even with no faults): a document closed when in sync and opened
   * again on the same socket started from a fresh sync state. The server, whose own sync state
   * said "in sync", had nothing to answer, so `saved.server` stayed false for good.
   */
  for (const withCache of [true, false]) {
    it(`is saved on the server again at once when nothing changed while it was closed (${withCache ? 'with' : 'without'} a cache)`, async () => {
      const server = await startDocServer()
      const a = connect(server.url, false)
      const b = connect(server.url, withCache)
      const writer = a.create<Doc>({ e: {} })
      await writer.whenSaved('server')
      let reader = b.open<Doc>(writer.url)
      await until(() => reader.getSnapshot().status === 'ready', 3000, 'b to load the document')
      reader.change((doc) => void (doc.e.fromB = true))
      await reader.whenSaved('server')
      reader.close()

      reader = b.open<Doc>(writer.url)
      await until(() => reader.getSnapshot().status === 'ready', 3000, 'the reopened document to load')
      await until(() => reader.getSnapshot().saved.server, 3000, 'saved.server on the reopened document')
      reader.change((doc) => void (doc.e.again = true))
      await until(() => writer.getSnapshot().doc?.e.again === true, 3000, 'a change after reopening to reach the writer')
    })
  }
})
