import * as A from '@automerge/automerge'
import { WebSocket } from 'ws'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../../src/core/docs/docConnection.js'
import type { DocConnection, DocStore } from '../../../src/core/docs/types.js'
import type { StorageProvider, SyncServer } from '../../../src/server/index.js'
import { createSyncServer, memoryPubSub, memoryStorage, postgresStorage } from '../../../src/server/index.js'
import { dropTables, POSTGRES_URL, postgresReachable } from '../../support/postgres.js'
import { closeAll as closeRawPeers, RawPeer } from './helpers.js'

/**
 * "Saved on the server" (`saved.server`) must mean the server's storage has the change. The
 * server here is the real one (createSyncServer) with a storage whose document writes the
 * test can hold or slow; the clients are syncline's own document connections.
 */

type Doc = { log: string[]; a?: number; b?: number }

const connections: DocConnection[] = []
const servers: SyncServer[] = []
afterEach(async () => {
  await closeRawPeers()
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Wraps a storage: document writes can be held until released, or slowed; finished writes are kept. */
function controlledStorage(inner: StorageProvider, { slowMs = 0 } = {}) {
  let held: Promise<void> | undefined
  let release = (): void => {}
  const finished: Array<{ documentId: string; binary: Uint8Array }> = []
  let started = 0
  const storage: StorageProvider = {
    ...inner,
    async saveDoc(documentId, binary) {
      started++
      if (held) await held
      if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs))
      await inner.saveDoc(documentId, binary)
      finished.push({ documentId, binary })
    },
  }
  return {
    storage,
    get started() {
      return started
    },
    hold() {
      held = new Promise((resolve) => (release = resolve))
    },
    release() {
      held = undefined
      release()
    },
    /** The document as the last finished write of this storage left it. */
    lastWritten(documentId: string): Doc | undefined {
      const last = finished.filter((write) => write.documentId === documentId).at(-1)
      return last && (A.toJS(A.load(last.binary)) as Doc)
    },
  }
}

async function startServer(storage: StorageProvider, pubsub = memoryPubSub()): Promise<SyncServer> {
  const server = createSyncServer({ port: 0, storage, pubsub })
  servers.push(server)
  await server.start()
  return server
}

function connect(server: SyncServer): DocConnection {
  const connection = createDocConnection({
    url: server.url.replace('http', 'ws'),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  })
  connection.start()
  connections.push(connection)
  return connection
}

/** A document made by `a`, stored, and open in `b`. */
async function sharedDocument(a: DocConnection, b: DocConnection): Promise<[DocStore<Doc>, DocStore<Doc>]> {
  const storeA = a.create<Doc>({ log: [] })
  await storeA.whenSaved('server')
  const storeB = b.open<Doc>(storeA.url)
  await until(() => storeB.getSnapshot().doc !== undefined, 'B to load the document')
  return [storeA, storeB]
}

/** A held write of A's change, then B's change: A gets B's change at once but no early "saved". */
async function heldWriteCase(storageA: ReturnType<typeof controlledStorage>, serverA: SyncServer, serverB: SyncServer): Promise<void> {
  const [storeA, storeB] = await sharedDocument(connect(serverA), connect(serverB))
  storageA.hold()
  const writesBefore = storageA.started
  storeA.change((doc) => void (doc.a = 1))
  await until(() => storageA.started > writesBefore, "the write of A's change to start (and be held)")
  expect(storeA.getSnapshot().saved.server).toBe(false)

  storeB.change((doc) => void (doc.b = 1))
  // Relay stays immediate: A gets B's change while its own write is still held. The message
  // that carries it used to carry the server's heads too, which acknowledged A's change.
  await until(() => storeA.getSnapshot().doc?.b === 1, "B's change on A while A's write is held")
  await until(() => storeB.getSnapshot().doc?.a === 1, "A's change on B")
  expect(storageA.lastWritten(storeA.documentId)?.a).toBeUndefined()
  expect(storeA.getSnapshot().saved.server).toBe(false)

  storageA.release()
  await storeA.whenSaved('server', { timeoutMs: 10_000 })
  expect(storageA.lastWritten(storeA.documentId)?.a).toBe(1)
}

/**
 * B edits without pause while A waits for the write of one change. A must be acknowledged by
 * the first write that holds its change, not once B stops, and never before that write. B is
 * a hand-written protocol client that sends every change at once, without waiting for the
 * server's answer (as several busy peers together do), so that changes arrive during every
 * write.
 */
async function busyOtherCase(storageA: ReturnType<typeof controlledStorage>, serverA: SyncServer, serverB: SyncServer): Promise<void> {
  const storeA = connect(serverA).create<Doc>({ log: [] })
  await storeA.whenSaved('server')
  const peerB = await RawPeer.connect(serverB.url.replace('http', 'ws'))
  peerB.open(storeA.documentId)
  await until(() => peerB.doc(storeA.documentId)?.log !== undefined, 'B to load the document')
  let storedWhenAcknowledged: number | undefined | null = null
  storeA.subscribe(() => {
    if (storedWhenAcknowledged === null && storeA.getSnapshot().saved.server) {
      storedWhenAcknowledged = storageA.lastWritten(storeA.documentId)?.a
    }
  })
  storeA.change((doc) => void (doc.a = 1))
  let edits = 0
  while (storedWhenAcknowledged === null && edits < 300) {
    peerB.change(storeA.documentId, (doc) => void (doc.log as string[]).push(`b${edits}`))
    edits++
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  expect(storedWhenAcknowledged, 'what storage held of A when A saw saved.server').toBe(1)
  expect(edits, 'B was still editing when A was acknowledged').toBeLessThan(300)
}

describe('saved.server means stored (one instance)', () => {
  it('does not acknowledge a change whose write is held when another peer changes the document, and still relays', async () => {
    const storage = controlledStorage(memoryStorage())
    const server = await startServer(storage.storage)
    await heldWriteCase(storage, server, server)
  })

  it("acknowledges a waiting author after the write that holds its change, while another peer keeps editing", async () => {
    const storage = controlledStorage(memoryStorage(), { slowMs: 40 })
    const server = await startServer(storage.storage)
    await busyOtherCase(storage, server, server)
  })
})

const reachable = await postgresReachable('the two-instance saved.server tests')
const prefixes: string[] = []
afterAll(async () => {
  if (reachable && prefixes.length > 0) await dropTables(prefixes)
})

/** Two instances on one PostgreSQL database and one pub/sub; only instance one's writes are controlled. */
async function twoInstances(options: { slowMs?: number } = {}) {
  const prefix = `saved_${Math.random().toString(36).slice(2, 10)}_`
  prefixes.push(prefix)
  const pubsub = memoryPubSub()
  const one = controlledStorage(postgresStorage({ connectionString: POSTGRES_URL, tablePrefix: prefix }), options)
  const two = postgresStorage({ connectionString: POSTGRES_URL, tablePrefix: prefix })
  const serverOne = await startServer(one.storage, pubsub)
  const serverTwo = await startServer(two, pubsub)
  return { one, serverOne, serverTwo }
}

describe.runIf(reachable)('saved.server means stored (two instances on PostgreSQL)', () => {
  it("relays B's change (made on the other instance) to A at once without acknowledging A's held change", async () => {
    const { one, serverOne, serverTwo } = await twoInstances()
    await heldWriteCase(one, serverOne, serverTwo)
  })

  it('acknowledges A after the write that holds its change while B keeps editing on the other instance', async () => {
    const { one, serverOne, serverTwo } = await twoInstances({ slowMs: 40 })
    await busyOtherCase(one, serverOne, serverTwo)
  })
})
