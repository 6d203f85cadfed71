import { WebSocket } from 'ws'
import { describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import { delay, RawPeer, until } from './docs/helpers.js'
import { ALICE, BOB, accessServer } from './docAccessServer.js'

/**
 * Document access on the reference server (issue 13, items 4, 12, 13): peer ids that only
 * their own user may take over, `revoke`, and documents tickets.
 */
const access = accessServer()
const { readers, asked, socketUrl, connect, closeOf, aliceDocument } = access

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
    const connection = createDocConnection({ url: access.server.url.replace('http', 'ws'), token: BOB, peerId: 'peer-of-alice-3', WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
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
    expect(access.server.revoke({ userId: BOB, documentId: 'another-document' })).toBe(0)
    expect(access.server.revoke({ userId: BOB, collection: 'com.example.message' })).toBe(0)
    expect(access.server.revoke({ userId: BOB, documentId })).toBe(1)
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

describe('revoke keeps the user out of the document until restore', () => {
  it('refuses the document again while authorize still says yes, and serves it after restore', async () => {
    const alice = await connect(ALICE)
    const documentId = await aliceDocument(alice)
    const bob = await connect(BOB)
    bob.open(documentId)
    await until(() => bob.doc(documentId)?.title === 'draft', 3000, 'bob to receive the document')
    // The app's rules still let bob read: only the revoke keeps him out.
    expect(readers.has(BOB)).toBe(true)
    expect(access.server.revoke({ userId: BOB, documentId })).toBe(1)
    await bob.waitFor((message) => message.type === 'doc-unavailable' && message.documentId === documentId)
    bob.open(documentId)
    await until(() => bob.messages.filter((message) => message.type === 'doc-unavailable').length >= 2, 3000, 'a second doc-unavailable')
    access.server.restore({ userId: BOB, documentId })
    const reader = await connect(BOB)
    reader.open(documentId)
    await until(() => reader.doc(documentId)?.title === 'draft', 3000, 'bob to receive the document after restore')
  })
})

describe('documents tickets', () => {
  async function mintDocumentsTicket(token: string): Promise<Response> {
    return fetch(`${access.server.url}/xrpc/realtime.ticket`, {
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
    const watch = await fetch(`${access.server.url}/xrpc/realtime.ticket`, {
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
