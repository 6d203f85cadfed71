import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../src/core/docs/types.js'
import type { PubSub, StorageProvider, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryPubSub, memoryStorage } from '../../src/server/index.js'
import { newRoom, openStore, putRecord } from '../support/records.js'

/**
 * Two instances of the server in one process, sharing one storage and one pub/sub, as two
 * processes share PostgreSQL and Redis (test/server/instances.processes.test.ts runs those).
 */
const servers: SyncServer[] = []
const connections: DocConnection[] = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

/**
 * Memory storage whose document writes merge, as postgresStorage's do: several instances
 * need that (fileStorage and memoryStorage replace a document, which suits one instance).
 */
function mergingMemoryStorage(): StorageProvider {
  const base = memoryStorage()
  return {
    ...base,
    async saveDoc(documentId, binary) {
      const existing = await base.loadDoc(documentId)
      await base.saveDoc(documentId, existing === undefined ? binary : new Uint8Array([...existing, ...binary]))
    },
    close: async () => {},
  }
}

async function pair(documentFanout: 'changes' | 'notice' = 'changes'): Promise<[SyncServer, SyncServer]> {
  const storage = mergingMemoryStorage()
  const pubsub: PubSub = memoryPubSub()
  const made = [createSyncServer({ port: 0, storage, pubsub, documentFanout }), createSyncServer({ port: 0, storage, pubsub, documentFanout })] as const
  servers.push(...made)
  await Promise.all(made.map((server) => server.start()))
  return [made[0], made[1]]
}

function connect(server: SyncServer): DocConnection {
  const connection = createDocConnection({ url: server.url.replace('http', 'ws'), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } })
  connection.start()
  connections.push(connection)
  return connection
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.each(['changes', 'notice'] as const)('two instances behind one address (documents as %s)', (mode) => {
  it('delivers a record written on one instance to watchers on the other, over SSE and WS', async () => {
    const [one, two] = await pair(mode)
    const room = newRoom()
    const sse = openStore(two.url, room)
    const ws = openStore(two.url, room, { transport: 'ws' })
    await until(() => sse.getSnapshot().status === 'live' && ws.getSnapshot().status === 'live', 'both watches live')
    await putRecord(one.url, room, { text: 'written on one' })
    await until(() => sse.getSnapshot().records.length === 1 && ws.getSnapshot().records.length === 1, 'the record on two')
    expect(ws.getSnapshot().records[0]?.value.text).toBe('written on one')
    await Promise.all([sse.stop(), ws.stop()])
  })

  it('relays a document edit made through one instance to a client of the other, and concurrent edits converge', async () => {
    const [one, two] = await pair(mode)
    const a = connect(one)
    const b = connect(two)
    const storeA = a.create<{ lines: string[] }>({ lines: [] })
    await storeA.whenSaved('server')
    const storeB = b.open<{ lines: string[] }>(storeA.url)
    await until(() => storeB.getSnapshot().doc !== undefined, 'b to load the document')

    storeA.change((doc) => void doc.lines.push('from a'))
    await until(() => storeB.getSnapshot().doc?.lines.includes('from a') === true, 'the edit on b')
    storeA.change((doc) => void doc.lines.push('a again'))
    storeB.change((doc) => void doc.lines.push('from b'))
    await until(
      () => JSON.stringify(storeA.getSnapshot().doc?.lines) === JSON.stringify(storeB.getSnapshot().doc?.lines) && storeA.getSnapshot().doc?.lines.length === 3,
      'convergence',
    )
  })

  it('converges after 1,000 edits split across the two instances', async () => {
    const [one, two] = await pair(mode)
    const a = connect(one)
    const b = connect(two)
    const storeA = a.create<{ counts: Record<string, number> }>({ counts: {} })
    await storeA.whenSaved('server')
    const storeB = b.open<{ counts: Record<string, number> }>(storeA.url)
    await until(() => storeB.getSnapshot().doc !== undefined, 'b to load the document')
    for (let i = 0; i < 500; i++) {
      storeA.change((doc) => void (doc.counts[`a${i}`] = i))
      storeB.change((doc) => void (doc.counts[`b${i}`] = i))
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0))
    }
    await until(() => Object.keys(storeA.getSnapshot().doc?.counts ?? {}).length === 1000 && Object.keys(storeB.getSnapshot().doc?.counts ?? {}).length === 1000, 'all 1,000 edits on both', 30_000)
    await Promise.all([storeA.whenSaved('server'), storeB.whenSaved('server')])
  })
})
