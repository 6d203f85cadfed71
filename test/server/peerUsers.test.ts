import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientDisconnectEvent, SyncRequestEvent, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { closeAll, newDocumentId, RawPeer, until } from './docs/helpers.js'

const ALICE = 'did:example:alice'
const syncEvents: SyncRequestEvent[] = []
const disconnects: ClientDisconnectEvent[] = []
let server: SyncServer

beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: ({ token }) => ({ userId: token }) })
  server.onSyncRequest((event) => syncEvents.push(event))
  server.onClientDisconnect((event) => disconnects.push(event))
  await server.start()
})
afterAll(async () => {
  await closeAll()
  await server.close()
})

const socketUrl = (): string => `${server.url.replace('http', 'ws')}/?token=${encodeURIComponent(ALICE)}`

describe('the user id of a document socket\'s events', () => {
  it('stays on the newer connection after the older one of the same peer id is replaced and closes', async () => {
    const peerId = 'peer-of-alice-replaced'
    const older = await RawPeer.connect(socketUrl(), { peerId })
    const newer = await RawPeer.connect(socketUrl(), { peerId })
    expect((await older.closed).code).toBe(1000)
    // The older connection's leave has run on the server: that is where the entry was lost.
    await until(() => disconnects.some((event) => event.clientId === peerId), 3000, 'the replaced connection\'s disconnect event')

    const documentId = newDocumentId()
    newer.open(documentId)
    const event = await until(() => syncEvents.find((candidate) => candidate.documentId === documentId) ?? null, 3000, 'a sync event for the newer connection\'s document')
    expect(event.clientId).toBe(peerId)
    expect(event.userId).toBe(ALICE)
  })
})
