import { WebSocket } from 'ws'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { AuthorizeRequest, RevokeRequest, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryPubSub, memoryStorage } from '../../src/server/index.js'
import { closeAll, docWith, newDocumentId, RawPeer, until } from './docs/helpers.js'

/**
 * Access ends when it is revoked (issue 13, items 2 and 12, records side): tickets cannot
 * renew themselves, `authorize` is asked again at every watch (re)start, and
 * `removeMember` / `revoke` end open watches. Tokens are plain strings naming the user;
 * membership is a set the tests change, as an app's database would.
 */
const COLLECTION = 'com.example.message'
const ROOM = 'room-1'
const ALICE = 'did:example:alice'
const members = new Set<string>()
const asked: AuthorizeRequest[] = []
let server: SyncServer

beforeAll(async () => {
  server = createSyncServer({
    port: 0,
    storage: memoryStorage(),
    ticketTtlMs: 60_000,
    authenticate: ({ token }) => (token.startsWith('did:') ? { userId: token, context: { plan: 'pro' } } : undefined),
    authorize: (request) => {
      asked.push(request)
      return members.has(request.userId)
    },
  })
  await server.start()
})
afterAll(() => server.close())
beforeEach(() => {
  members.clear()
  members.add(ALICE)
  asked.length = 0
  // A test that revokes alice leaves her locked out: each test starts with her back in.
  server.restore({ userId: ALICE })
})

const base = (): string => `${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${ROOM}`
const expiryOf = (ticket: string): number => (JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString()) as { exp: number }).exp

async function mintTicket(token = ALICE): Promise<{ ticket: string; expiresAt: number }> {
  const response = await fetch(`${server.url}/xrpc/realtime.ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ collection: COLLECTION, roomUri: ROOM }),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { ticket: string; expiresAt: number }
}

async function handshake(credential: { ticket: string } | { token: string }): Promise<{ status: number; ticket?: string; wsUrl?: string; ticketTtlMs?: number }> {
  const query = 'ticket' in credential ? `&ticket=${encodeURIComponent(credential.ticket)}` : ''
  const headers: Record<string, string> = 'token' in credential ? { authorization: `Bearer ${credential.token}` } : {}
  const response = await fetch(`${base()}&mode=ws${query}`, { headers })
  const body = (await response.json()) as { ticket?: string; wsUrl?: string; ticketTtlMs?: number }
  return { status: response.status, ...body }
}

/** Collects an SSE response's text as it arrives. */
function collect(response: Response): { text: () => string } {
  let text = ''
  const reader = response.body!.getReader()
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
      if (done) return
      text += new TextDecoder().decode(value)
    }
  })()
  return { text: () => text }
}

/** Opens the handshake's socket; resolves with what happened to it: 'open' or `refused: <status>`. */
function openSocket(wsUrl: string): Promise<{ outcome: string; socket: WebSocket }> {
  const socket = new WebSocket(new URL(wsUrl, server.url.replace('http', 'ws')))
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ outcome: 'open', socket }))
    socket.once('unexpected-response', (_request, response) => resolve({ outcome: `refused: ${response.statusCode}`, socket }))
    socket.once('error', () => resolve({ outcome: 'error', socket }))
  })
}

describe('watch tickets', () => {
  it('a ticket-based handshake mints a ticket that expires no later than the ticket it came with', async () => {
    const first = await mintTicket()
    // Let the clock move on, so a ticket minted now with a full lifetime would expire later.
    const later = Date.now() + 5
    while (Date.now() < later) await new Promise((resolve) => setTimeout(resolve, 1))
    const second = await handshake({ ticket: first.ticket })
    expect(second.status).toBe(200)
    expect(expiryOf(second.ticket!)).toBeLessThanOrEqual(first.expiresAt)
    const askedAt = Date.now()
    const third = await handshake({ ticket: second.ticket! })
    expect(expiryOf(third.ticket!)).toBeLessThanOrEqual(first.expiresAt)
    // The lifetime the handshake states is what is left, not a fresh full one.
    expect(third.ticketTtlMs).toBeLessThanOrEqual(first.expiresAt - askedAt)
  })

  it('a ticket-based handshake asks authorize again, with the context the ticket was minted with', async () => {
    const { ticket } = await mintTicket()
    asked.length = 0
    expect((await handshake({ ticket })).status).toBe(200)
    expect(asked).toEqual([{ type: 'read', access: 'read', userId: ALICE, context: { plan: 'pro' }, collection: COLLECTION, room: ROOM }])
  })

  it('a ticket chain ends when the user is no longer a member: handshake, socket and SSE are refused', async () => {
    const { ticket } = await mintTicket()
    const handshaken = await handshake({ ticket })
    expect(handshaken.status).toBe(200)
    members.delete(ALICE)
    expect((await handshake({ ticket })).status).toBe(403)
    expect((await handshake({ ticket: handshaken.ticket! })).status).toBe(403)
    const { outcome, socket } = await openSocket(handshaken.wsUrl!)
    socket.terminate()
    expect(outcome).toBe('refused: 403')
    const sse = await fetch(`${base()}&ticket=${encodeURIComponent(ticket)}`, { headers: { accept: 'text/event-stream' } })
    await sse.body?.cancel()
    expect(sse.status).toBe(403)
  })
})

describe('removeMember and revoke', () => {
  /** A live WS watch of alice's: the frames it received and how it closed. */
  async function liveWatch(): Promise<{ frames: Array<{ kind: string }>; closeCode: () => number | null; wsUrl: string }> {
    const { wsUrl } = await handshake({ token: ALICE })
    const { outcome, socket } = await openSocket(wsUrl!)
    expect(outcome).toBe('open')
    const frames: Array<{ kind: string }> = []
    let code: number | null = null
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { kind: string }))
    socket.once('close', (closedWith) => (code = closedWith))
    return { frames, closeCode: () => code, wsUrl: wsUrl! }
  }

  it('removeMember ends the watch, and its ticket cannot reopen it once authorize says no', async () => {
    const watch = await liveWatch()
    members.delete(ALICE)
    expect(server.removeMember(COLLECTION, ROOM, ALICE)).toBe(1)
    expect(await until(() => watch.closeCode() !== null && watch.closeCode(), 3000, 'the watch socket to close')).toBe(1000)
    expect(watch.frames.map((frame) => frame.kind)).toContain('member.removed')
    const { outcome, socket } = await openSocket(watch.wsUrl)
    socket.terminate()
    expect(outcome).toBe('refused: 403')
  })

  it('revoke ends the matching watches (SSE and WS) of the user at once, and only those', async () => {
    const watch = await liveWatch()
    const sse = await fetch(base(), { headers: { accept: 'text/event-stream', authorization: `Bearer ${ALICE}` } })
    expect(sse.status).toBe(200)
    const stream = collect(sse)
    expect(server.revoke({ userId: ALICE, collection: 'com.example.other' })).toBe(0)
    expect(server.revoke({ userId: 'did:example:bob' })).toBe(0)
    // RevokeRequest is part of syncline/server's public types, so callers can build one ahead.
    const aliceInRoom: RevokeRequest = { userId: ALICE, room: ROOM }
    expect(server.revoke(aliceInRoom)).toBe(2)
    expect(await until(() => watch.closeCode() !== null && watch.closeCode(), 3000, 'the watch socket to close')).toBe(1000)
    await until(() => stream.text().includes('event: member.removed'), 3000, 'member.removed on the SSE stream')
  })
})

describe('revoke across instances', () => {
  it('ends the user\'s watches and document subscriptions on the other instances too (through the pub/sub)', async () => {
    const pubsub = memoryPubSub()
    const storage = memoryStorage()
    const options = { port: 0, storage, pubsub, authenticate: ({ token }: { token: string }) => ({ userId: token }) }
    const here = createSyncServer(options)
    const there = createSyncServer(options)
    await Promise.all([here.start(), there.start()])
    try {
      const sse = await fetch(`${there.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${ROOM}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${ALICE}` } })
      expect(sse.status).toBe(200)
      const stream = collect(sse)
      const peer = await RawPeer.connect(`${there.url.replace('http', 'ws')}/?token=${encodeURIComponent(ALICE)}`)
      const documentId = newDocumentId()
      peer.open(documentId, docWith({ title: 'draft' }))
      await until(() => peer.acknowledged(documentId), 3000, 'the other instance to acknowledge alice\'s document')

      expect(here.revoke({ userId: ALICE })).toBe(0)
      await until(() => stream.text().includes('event: member.removed'), 3000, 'member.removed on the other instance\'s SSE stream')
      await peer.waitFor((message) => message.type === 'doc-unavailable' && message.documentId === documentId)
    } finally {
      await closeAll()
      await Promise.all([here.close(), there.close()])
      await pubsub.close()
    }
  })
})
