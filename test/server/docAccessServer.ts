import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import type { AuthorizeRequest, SyncRequestEvent, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, until } from './docs/helpers.js'

/**
 * The server the document-access tests share: tokens are strings naming the user;
 * `writers` and `readers` stand for the app's rules, and every `authorize` call and
 * sync event is recorded. Call `accessServer()` at the top of a test file.
 */
export const ALICE = 'did:example:alice'
export const BOB = 'did:example:bob'

export function accessServer() {
  const writers = new Set<string>()
  const readers = new Set<string>()
  const asked: AuthorizeRequest[] = []
  const events: SyncRequestEvent[] = []
  let server: SyncServer | undefined

  beforeAll(async () => {
    server = createSyncServer({
      port: 0,
      storage: memoryStorage(),
      saveDebounceMs: 5,
      authenticate: ({ token }) => (token.startsWith('did:') ? { userId: token, context: { via: 'token' } } : undefined),
      authorize: (request) => {
        asked.push(request)
        if (request.type !== 'sync') return true
        return request.access === 'write' ? writers.has(request.userId) : readers.has(request.userId) || writers.has(request.userId)
      },
    })
    server.onSyncRequest((event) => events.push(event))
    await server.start()
  })
  afterAll(() => server?.close())
  beforeEach(() => {
    writers.clear()
    readers.clear()
    writers.add(ALICE)
    readers.add(BOB)
    asked.length = 0
    events.length = 0
  })
  afterEach(() => closeAll())

  const running = (): SyncServer => {
    if (!server) throw new Error('accessServer() is used before its beforeAll ran')
    return server
  }
  const socketUrl = (query: string): string => `${running().url.replace('http', 'ws')}/?${query}`
  return {
    get server() {
      return running()
    },
    writers,
    readers,
    asked,
    events,
    socketUrl,
    connect: (userId: string, peerId?: string): Promise<RawPeer> => RawPeer.connect(socketUrl(`token=${encodeURIComponent(userId)}`), peerId === undefined ? {} : { peerId }),
    /** How a raw peer's socket closed; fails naming `what` if it stays open. */
    closeOf: (peer: RawPeer, what: string): Promise<{ code: number; reason: string }> =>
      Promise.race([peer.closed, delay(3000).then(() => Promise.reject(new Error(`Timed out waiting for ${what}`)))]),
    /** Alice creates a document and the server has stored it; returns its id. */
    async aliceDocument(alice: RawPeer, value: Record<string, unknown> = { title: 'draft' }): Promise<string> {
      const documentId = newDocumentId()
      alice.open(documentId, docWith(value))
      await until(() => alice.acknowledged(documentId), 3000, "the server to acknowledge alice's document")
      expect(alice.acknowledged(documentId)).toBe(true)
      return documentId
    },
  }
}
