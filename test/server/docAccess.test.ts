import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { AuthorizeRequest, SyncRequestEvent, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import type { AnyDocumentId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocket } from 'ws'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, startDocServer, until } from './docs/helpers.js'

/**
 * Document access on the reference server (issue 13, items 4, 11, 12, 13): read-only
 * peers, peer ids that only their own user may take over, `revoke`, and documents tickets.
 * Tokens are strings naming the user; `writers` and `readers` stand for the app's rules.
 */
const ALICE = 'did:example:alice'
const BOB = 'did:example:bob'
const writers = new Set<string>()
const readers = new Set<string>()
const asked: AuthorizeRequest[] = []
const events: SyncRequestEvent[] = []
let server: SyncServer

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
afterAll(() => server.close())
beforeEach(() => {
  writers.clear()
  readers.clear()
  writers.add(ALICE)
  readers.add(BOB)
  asked.length = 0
  events.length = 0
})
afterEach(() => closeAll())

/** How a raw peer's socket closed; fails naming `what` if it stays open. */
const closeOf = (peer: RawPeer, what: string): Promise<{ code: number; reason: string }> =>
  Promise.race([peer.closed, delay(3000).then(() => Promise.reject(new Error(`Timed out waiting for ${what}`)))])
const socketUrl = (query: string): string => `${server.url.replace('http', 'ws')}/?${query}`
const connect = (userId: string, peerId?: string): Promise<RawPeer> => RawPeer.connect(socketUrl(`token=${encodeURIComponent(userId)}`), peerId === undefined ? {} : { peerId })

/** Alice creates a document and the server has stored it; returns its id. */
async function aliceDocument(alice: RawPeer, value: Record<string, unknown> = { title: 'draft' }): Promise<string> {
  const documentId = newDocumentId()
  alice.open(documentId, docWith(value))
  await until(() => alice.acknowledged(documentId), 3000, 'the server to acknowledge alice\'s document')
  return documentId
}

describe('read-only documents', () => {
  it('tells authorize read or write, refuses a reader\'s change (not applied, stored or relayed), and the reader still receives the document', async () => {
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice)
    const bob = await connect(BOB)
    bob.open(documentId)
    await until(() => bob.doc(documentId)?.title === 'draft', 3000, 'bob to receive the document')

    bob.change(documentId, (doc) => {
      doc.title = 'vandalised'
    })
    const refusal = await bob.waitFor((message) => message.type === 'error')
    expect(refusal.message).toMatch(/may not change document/)
    // A later change of alice's still reaches bob, and bob's change never reached alice.
    alice.change(documentId, (doc) => {
      doc.body = 'from alice'
    })
    await until(() => bob.doc(documentId)?.body === 'from alice', 3000, 'bob to receive alice\'s later change')
    await until(() => alice.acknowledged(documentId), 3000, 'the server to acknowledge alice\'s change')
    await delay(30)
    expect(alice.doc(documentId)).toEqual({ title: 'draft', body: 'from alice' })
    // A fresh reader gets what the server holds: without bob's change.
    const carol = await connect(ALICE)
    carol.open(documentId)
    await until(() => carol.doc(documentId)?.body === 'from alice', 3000, 'a fresh peer to load the document')
    expect(carol.doc(documentId)?.title).toBe('draft')

    const access = asked.filter((request) => request.documentId === documentId).map((request) => `${request.userId}:${request.access}`)
    expect(access).toEqual([`${ALICE}:read`, `${ALICE}:write`, `${BOB}:read`, `${BOB}:write`, `${ALICE}:read`])
  })

  it('does not loop after a refused change: the reader and the server fall quiet', async () => {
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice)
    const bob = await connect(BOB)
    bob.open(documentId)
    await until(() => bob.doc(documentId)?.title === 'draft', 3000, 'bob to receive the document')
    bob.change(documentId, (doc) => {
      doc.note = 'mine'
    })
    await bob.waitFor((message) => message.type === 'error')
    await delay(100)
    const settled = bob.messages.length
    await delay(200)
    expect(bob.messages.length).toBe(settled)
    expect(settled).toBeLessThan(20)
  })
})

/** Deterministic pseudo-random numbers in [0, 1), so a failing seed can be run again. */
function seeded(seed: number): () => number {
  let x = seed
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648
}

/**
 * A reader that takes its time: it applies each server message (in order) and answers after
 * a few random milliseconds, so its messages and the server's cross in flight, as on a
 * real network. `RawPeer` answers at once, which hides loops that need such crossings.
 */
async function slowReader(documentId: string, random: () => number) {
  const peer = await connect(BOB)
  let doc = A.init<Record<string, unknown>>()
  let state = A.initSyncState()
  const flush = (): void => {
    for (;;) {
      const [next, data] = A.generateSyncMessage(doc, state)
      state = next
      if (!data) return
      peer.sendDoc('sync', documentId, { data })
    }
  }
  let chain = Promise.resolve()
  peer.onMessage = (message) => {
    if (message.type !== 'sync' || message.documentId !== documentId) return
    chain = chain.then(async () => {
      await delay(random() * 4)
      ;[doc, state] = A.receiveSyncMessage(doc, state, message.data as Uint8Array)
      setTimeout(flush, random() * 4)
    })
  }
  const [next, data] = A.generateSyncMessage(doc, state)
  state = next
  peer.sendDoc('request', documentId, { data })
  return {
    peer,
    doc: () => A.toJS(doc),
    change(fn: (doc: Record<string, unknown>) => void): void {
      doc = A.change(doc, fn)
      flush()
    },
  }
}

describe('a reader whose messages cross the server\'s', () => {
  it.each([1, 2, 3, 4, 5, 6])('falls quiet after its refused changes and receives every change of the writer (seed %i)', async (seed) => {
    const random = seeded(seed)
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice)
    const bob = await slowReader(documentId, random)
    await until(() => bob.doc().title === 'draft', 3000, 'the slow reader to receive the document')
    bob.change((doc) => {
      doc.note = 'mine'
    })
    await delay(random() * 6)
    alice.change(documentId, (doc) => {
      doc.first = 1
    })
    await delay(random() * 6)
    bob.change((doc) => {
      doc.note2 = 'mine too'
    })
    alice.change(documentId, (doc) => {
      doc.second = 2
    })
    await until(() => bob.doc().second === 2 && bob.doc().first === 1, 3000, 'the slow reader to receive both of alice\'s changes')
    await delay(200)
    const settled = bob.peer.messages.length
    await delay(300)
    expect(bob.peer.messages.length - settled).toBe(0)
    expect(alice.doc(documentId)).toEqual({ title: 'draft', first: 1, second: 2 })
  })
})

describe('a stock automerge-repo client as a reader', () => {
  it('keeps its change out of the server and still receives the writer\'s changes, without a sync loop', async () => {
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice, { title: 'draft' })
    const repo = new Repo({ network: [new WebSocketClientAdapter(socketUrl(`token=${encodeURIComponent(BOB)}`))], sharePolicy: async () => true })
    try {
      const handle = await repo.find<{ title: string; body?: string; note?: string }>(`automerge:${documentId}` as AnyDocumentId)
      expect(handle.doc().title).toBe('draft')
      handle.change((doc) => {
        doc.note = 'from a reader'
      })
      alice.change(documentId, (doc) => {
        doc.body = 'from alice'
      })
      await until(() => handle.doc().body === 'from alice', 5000, 'the stock reader to receive alice\'s change')
      await until(() => alice.acknowledged(documentId), 3000, 'the server to acknowledge alice\'s change')
      const syncs = (): number => asked.length + events.length
      await delay(300)
      const settled = syncs()
      await delay(300)
      expect(syncs()).toBe(settled)
      expect(alice.doc(documentId)).toEqual({ title: 'draft', body: 'from alice' })
      expect(events.filter((event) => event.userId === BOB && event.status === 'forbidden').length).toBeGreaterThan(0)
    } finally {
      await repo.shutdown()
    }
  })
})

describe('the write check', () => {
  it('holds a bounded number of messages while authorize decides on writing; a flood beyond gets an error and close 1008', async () => {
    const docServer = await startDocServer({ authorize: ({ access }) => (access === 'read' ? true : new Promise<boolean>(() => {})) })
    const peer = await RawPeer.connect(docServer.url)
    const documentId = newDocumentId()
    // A message that carries changes: a peer's first message only names its heads, so run one round first.
    const doc = docWith({ n: 1 })
    const [sent, first] = A.generateSyncMessage(doc, A.initSyncState())
    const [server, theirs] = A.receiveSyncMessage(A.init(), A.initSyncState(), first!)
    const [, reply] = A.generateSyncMessage(server, theirs)
    const [, answered] = A.receiveSyncMessage(doc, sent, reply!)
    const [, data] = A.generateSyncMessage(doc, answered)
    expect(A.decodeSyncMessage(data!).changes.length).toBeGreaterThan(0)
    for (let i = 0; i < 1100; i++) peer.sendDoc('sync', documentId, { data })
    const error = await peer.waitFor((message) => message.type === 'error')
    expect(error.message).toMatch(/while its write access is checked/)
    expect((await closeOf(peer, 'the flooding peer to be closed')).code).toBe(1008)
  })
})

describe('peer ids', () => {
  it('refuses a join that names another user\'s peer id, and leaves that user connected', async () => {
    const alice = await connect(ALICE, 'peer-of-alice')
    const mallory = await RawPeer.connect(socketUrl(`token=${encodeURIComponent(BOB)}`), { peerId: 'peer-of-alice', join: false })
    mallory.send({ type: 'join', senderId: 'peer-of-alice', peerMetadata: {}, supportedProtocolVersions: ['1'] })
    const answer = await mallory.waitFor((message) => message.type === 'error' || message.type === 'peer')
    expect(answer.type).toBe('error')
    expect((await closeOf(mallory, 'the refused join to be closed')).code).toBe(1008)
    // Alice's socket is still open and still syncs.
    const documentId = await aliceDocument(alice)
    expect(alice.acknowledged(documentId)).toBe(true)
  })

  it('parks syncline\'s client as forbidden (not retried) when its peer id belongs to another user', async () => {
    await connect(ALICE, 'peer-of-alice-3')
    const connection = createDocConnection({ url: server.url.replace('http', 'ws'), token: BOB, peerId: 'peer-of-alice-3', WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    connection.start()
    try {
      await until(() => connection.getSnapshot().status === 'closed', 3000, 'the client to stop')
      expect(connection.getSnapshot().error?.code).toBe('forbidden')
    } finally {
      await connection.close()
    }
  })

  it('lets the same user take over its own peer id (a reconnect), closing the older socket', async () => {
    const older = await connect(ALICE, 'peer-of-alice-2')
    const newer = await connect(ALICE, 'peer-of-alice-2')
    expect((await closeOf(older, 'the older socket to be replaced')).reason).toMatch(/replaced by a newer connection/)
    const documentId = await aliceDocument(newer)
    expect(newer.acknowledged(documentId)).toBe(true)
  })
})

describe('revoke', () => {
  it('ends a document subscription at once: doc-unavailable, then no further changes', async () => {
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice)
    const bob = await connect(BOB)
    bob.open(documentId)
    await until(() => bob.doc(documentId)?.title === 'draft', 3000, 'bob to receive the document')
    readers.delete(BOB)
    expect(server.revoke({ userId: BOB, documentId: 'another-document' })).toBe(0)
    expect(server.revoke({ userId: BOB, collection: 'com.example.message' })).toBe(0)
    expect(server.revoke({ userId: BOB, documentId })).toBe(1)
    await bob.waitFor((message) => message.type === 'doc-unavailable' && message.documentId === documentId)
    alice.change(documentId, (doc) => {
      doc.secret = 'after revoke'
    })
    await until(() => alice.acknowledged(documentId), 3000, 'the server to acknowledge alice\'s change')
    await delay(50)
    expect(bob.doc(documentId)?.secret).toBeUndefined()
    // Asking again (with an empty document) goes through authorize, which now says no.
    bob.open(documentId)
    await until(() => bob.messages.filter((message) => message.type === 'doc-unavailable').length >= 2, 3000, 'a second doc-unavailable')
    await delay(30)
    expect(bob.doc(documentId)).toEqual({})
  })
})

describe('documents tickets', () => {
  async function mintDocumentsTicket(token: string): Promise<Response> {
    return fetch(`${server.url}/xrpc/realtime.ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'documents' }),
    })
  }

  it('opens the document socket with a documents ticket, with the context of the token it was minted with', async () => {
    const response = await mintDocumentsTicket(ALICE)
    expect(response.status).toBe(200)
    const { ticket, expiresAt } = (await response.json()) as { ticket: string; expiresAt: number }
    expect(expiresAt).toBeGreaterThan(Date.now())
    const alice = await RawPeer.connect(socketUrl(`ticket=${encodeURIComponent(ticket)}`))
    const documentId = await aliceDocument(alice)
    expect(asked.find((request) => request.documentId === documentId)).toMatchObject({ userId: ALICE, context: { via: 'token' }, access: 'read' })
  })

  it('refuses a watch ticket, a forged ticket and no ticket at all on the document socket', async () => {
    expect((await mintDocumentsTicket('not-a-did')).status).toBe(401)
    const watch = await fetch(`${server.url}/xrpc/realtime.ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ collection: 'com.example.message', roomUri: 'room-1' }),
    })
    const { ticket } = (await watch.json()) as { ticket: string }
    const statusOf = (query: string): Promise<number> =>
      RawPeer.connect(socketUrl(query), { join: false }).then(
        () => 101,
        (error: Error) => Number(/(\d{3})/.exec(error.message)?.[1] ?? 0),
      )
    expect(await statusOf(`ticket=${encodeURIComponent(ticket)}`)).toBe(403)
    expect(await statusOf(`ticket=${encodeURIComponent(`${ticket.split('.')[0]}.AAAA`)}`)).toBe(401)
    expect(await statusOf('nothing=1')).toBe(401)
  })
})
