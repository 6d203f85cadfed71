import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { SyncRequestEvent, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage, verifyJwt } from '../../src/server/index.js'
import { until } from './docs/helpers.js'

/**
 * Every credential against every entry point, with the exact outcome expected. Tokens are
 * real JWTs signed here; the server verifies them with verifyJwt (HS256 secret).
 */
const SECRET = 'test-secret-that-is-long-enough-for-hs256'
const ISSUER = 'https://issuer.example'
const AUDIENCE = 'syncline-tests'
const COLLECTION = 'com.example.message'
const ALLOWED_ROOM = 'room-alice'
const OTHER_ROOM = 'room-bob'

let server: SyncServer
let allowedDoc: string
let otherDoc: string
const events: SyncRequestEvent[] = []

function sign(claims: { sub?: string; exp?: number; iss?: string; aud?: string }, secret = SECRET): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()
  if (claims.sub !== undefined) jwt.setSubject(claims.sub)
  jwt.setIssuer(claims.iss ?? ISSUER).setAudience(claims.aud ?? AUDIENCE)
  jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
  return jwt.sign(new TextEncoder().encode(secret))
}

const tokens: Record<string, () => Promise<string | undefined>> = {
  'no token': async () => undefined,
  'bad token': async () => sign({ sub: 'did:example:alice' }, 'some-other-secret-that-is-long-enough'),
  'expired token': async () => sign({ sub: 'did:example:alice', exp: Math.floor(Date.now() / 1000) - 60 }),
  'valid token, wrong document or room': async () => sign({ sub: 'did:example:alice' }),
  'valid token': async () => sign({ sub: 'did:example:alice' }),
}
type Credential = keyof typeof tokens
const targetsOther = (credential: Credential): boolean => credential === 'valid token, wrong document or room'

beforeAll(async () => {
  server = createSyncServer({
    port: 0,
    storage: memoryStorage(),
    authenticate: verifyJwt({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE }),
    authorize: ({ userId, room, documentId }) =>
      userId === 'did:example:alice' && (room === undefined || room === ALLOWED_ROOM) && (documentId === undefined || documentId === allowedDoc),
  })
  server.onSyncRequest((event) => events.push(event))
  await server.start()
  // Two documents on the server, made by a trusted writer before the rules apply to it.
  const writerToken = await sign({ sub: 'did:example:alice' })
  const writer = createDocConnection({ url: server.url.replace('http', 'ws'), token: writerToken, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
  writer.start()
  const a = writer.create({ owner: 'alice' })
  allowedDoc = a.documentId
  await a.whenSaved('server')
  // Bob's document: created while alice may sync anything, then the rule above hides it.
  const b = writer.create({ owner: 'bob' })
  otherDoc = b.documentId
  allowedDoc = b.documentId
  await b.whenSaved('server')
  allowedDoc = a.documentId
  await writer.close()
})
afterAll(async () => {
  await server.close()
})

const auth = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` })
const room = (credential: Credential): string => (targetsOther(credential) ? OTHER_ROOM : ALLOWED_ROOM)

async function documents(credential: Credential): Promise<string> {
  const token = await tokens[credential]!()
  const connection = createDocConnection({
    url: server.url.replace('http', 'ws'),
    ...(token !== undefined && { token }),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: false,
  })
  try {
    connection.start()
    const store = connection.open<{ owner: string }>(targetsOther(credential) ? otherDoc : allowedDoc)
    const deadline = Date.now() + 5000
    for (;;) {
      const status = connection.getSnapshot()
      const doc = store.getSnapshot()
      if (status.status === 'closed') return `refused: ${status.error?.code}`
      if (doc.status === 'unavailable') return 'doc-unavailable'
      if (doc.status === 'ready') return `synced: ${doc.doc?.owner}`
      if (Date.now() > deadline) return `stuck: ${status.status}/${doc.status}`
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    await connection.close()
  }
}

async function watchSse(credential: Credential): Promise<number> {
  const token = await tokens[credential]!()
  const abort = new AbortController()
  const response = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room(credential)}`, { headers: { accept: 'text/event-stream', ...auth(token) }, signal: abort.signal })
  abort.abort()
  return response.status
}

async function watchWs(credential: Credential): Promise<number> {
  const token = await tokens[credential]!()
  const response = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room(credential)}&mode=ws`, { headers: auth(token) })
  await response.arrayBuffer()
  return response.status
}

async function write(credential: Credential, method: 'putRecord' | 'deleteRecord'): Promise<number> {
  const token = await tokens[credential]!()
  const response = await fetch(`${server.url}/xrpc/${COLLECTION}.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body: JSON.stringify({ roomUri: room(credential), rkey: 'r1', value: { text: 'hi' } }),
  })
  await response.arrayBuffer()
  return response.status
}

/** The exact outcome per credential: documents / watch SSE / watch WS / put / delete. */
const expected: Record<Credential, [string, number, number, number, number]> = {
  'no token': ['refused: unauthorized', 401, 401, 401, 401],
  'bad token': ['refused: unauthorized', 401, 401, 401, 401],
  'expired token': ['refused: unauthorized', 401, 401, 401, 401],
  'valid token, wrong document or room': ['doc-unavailable', 403, 403, 403, 403],
  'valid token': ['synced: alice', 200, 200, 200, 200],
}

describe('the auth matrix (verifyJwt + authorize)', () => {
  it.each(Object.keys(expected) as Credential[])('%s', async (credential) => {
    const outcome = [await documents(credential), await watchSse(credential), await watchWs(credential), await write(credential, 'putRecord'), await write(credential, 'deleteRecord')]
    expect(outcome).toEqual(expected[credential])
  })

  it('fires connect, sync and disconnect events for a document socket, with the documented fields', async () => {
    const connects: unknown[] = []
    const disconnects: { clientId: string }[] = []
    const offConnect = server.onClientConnect((event) => connects.push(event))
    const offDisconnect = server.onClientDisconnect((event) => disconnects.push(event))
    events.length = 0
    expect(await documents('valid token')).toBe('synced: alice')
    // The peer joins before its document syncs, so its connect event is in by now.
    expect(connects).toEqual([{ userId: 'did:example:alice', clientId: expect.stringMatching(/^syncline-/), transport: 'automerge', remoteAddress: expect.any(String) }])
    const clientId = (connects[0] as { clientId: string }).clientId
    // The client's close() only starts the close handshake: the server emits the disconnect
    // when it sees the socket end, some turns later. An earlier connection of this file
    // (beforeAll's writer, the matrix above) may likewise report its disconnect only now, so
    // wait for this socket's own event and count only those.
    const ours = () => disconnects.filter((event) => event.clientId === clientId)
    await until(() => ours().length > 0, 5000, `a disconnect event for client ${clientId}`)
    expect(ours()).toEqual([{ userId: 'did:example:alice', clientId, transport: 'automerge', reason: expect.any(String) }])
    expect(events).toContainEqual({ userId: 'did:example:alice', clientId, type: 'request', documentId: allowedDoc, status: 'ok', durationMs: expect.any(Number), bytes: expect.any(Number) })
    offConnect?.()
    offDisconnect?.()
  })

  it('reports a refused document as forbidden, without revealing that it exists', async () => {
    events.length = 0
    await documents('valid token, wrong document or room')
    expect(events).toContainEqual(expect.objectContaining({ type: 'request', documentId: otherDoc, status: 'forbidden', userId: 'did:example:alice' }))
  })
})

describe('verifyJwt', () => {
  let jwks: Server
  let jwksUrl: string
  let privateKey: CryptoKey
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    privateKey = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })))
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`
  })
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())))

  const es256 = (claims: Record<string, unknown>, expSeconds: number) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(expSeconds).sign(privateKey)

  it('verifies against a JWKS endpoint, and refuses expired tokens, other audiences and tokens without a subject', async () => {
    const authenticate = verifyJwt({ jwksUrl, issuer: ISSUER, audience: AUDIENCE })
    const now = Math.floor(Date.now() / 1000)
    const request = {} as never
    expect(await authenticate({ token: await es256({ sub: 'did:example:carol', role: 'editor' }, now + 60), request })).toMatchObject({ userId: 'did:example:carol', context: { role: 'editor' } })
    expect(await authenticate({ token: await es256({ sub: 'did:example:carol' }, now - 60), request })).toBeUndefined()
    expect(await authenticate({ token: await es256({}, now + 60), request })).toBeUndefined()
    const other = verifyJwt({ jwksUrl, issuer: ISSUER, audience: 'another-app' })
    expect(await other({ token: await es256({ sub: 'did:example:carol' }, now + 60), request })).toBeUndefined()
    expect(await authenticate({ token: 'not.a.jwt', request })).toBeUndefined()
  })

  it('needs exactly one key source', () => {
    expect(() => verifyJwt({})).toThrow(/exactly one/)
    expect(() => verifyJwt({ secret: 'x', jwksUrl: 'http://127.0.0.1/' })).toThrow(/exactly one/)
  })
})
