import bs58check from 'bs58check'
import { Encoder } from 'cbor-x'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/server/docs/protocol.js'
import type { DocServer } from './helpers.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'

const cbor = new Encoder({ tagUint8Array: false, useRecords: false })
const MAX_BYTES = 64 * 1024

let server: DocServer
let author: RawPeer
let documentId: string
let version = 0

beforeEach(async () => {
  server = await startDocServer({ maxMessageBytes: MAX_BYTES })
  documentId = newDocumentId()
  author = await RawPeer.connect(server.url)
  version = 1
  author.open(documentId, docWith({ version }))
  await until(async () => (await stored(server.storage, documentId))?.version === 1, 3000, 'the document to be stored')
})

afterEach(closeAll)

/** After each bad frame: the stored document is intact, and the server still relays and serves. */
async function expectStillServing(): Promise<void> {
  expect(await stored(server.storage, documentId)).toEqual({ version })
  version++
  author.change(documentId, (doc) => {
    doc.version = version
  })
  const reader = await RawPeer.connect(server.url)
  reader.open(documentId)
  await until(() => reader.doc(documentId)?.version === version, 3000, 'a fresh peer to get the latest version')
  await until(async () => (await stored(server.storage, documentId))?.version === version, 3000, 'the new version to be stored')
}

async function expectClosedWith(peer: RawPeer, code: number): Promise<void> {
  const closed = await Promise.race([peer.closed, delay(3000).then(() => undefined)])
  expect(closed?.code).toBe(code)
}

/** An error message to `peer`, then the connection still works for good messages. */
async function expectErrorButOpen(peer: RawPeer, pattern: RegExp): Promise<void> {
  const error = await peer.waitFor((m) => m.type === 'error')
  expect(error.message).toMatch(pattern)
  expect(error).toMatchObject({ senderId: peer.serverPeerId, targetId: peer.peerId })
  peer.open(documentId)
  await until(() => peer.doc(documentId)?.version === version, 3000, 'the same connection to keep working')
  expect(peer.socket.readyState).toBe(peer.socket.OPEN)
}

const validId = (): string => newDocumentId()
const badChecksum = (): string => {
  const id = validId()
  const last = id.at(-1) === '2' ? '3' : '2'
  return id.slice(0, -1) + last
}

describe('bad input before the handshake closes the connection', () => {
  it.each([
    ['malformed CBOR', () => new Uint8Array([0xff, 0x00])],
    ['a document message before join', () => cbor.encode({ type: 'request', senderId: 'x', targetId: 'y', documentId: validId(), data: new Uint8Array([1]) })],
    ['a join without senderId', () => cbor.encode({ type: 'join', supportedProtocolVersions: ['1'] })],
    ['a join for an unsupported protocol version', () => cbor.encode({ type: 'join', senderId: 'future', supportedProtocolVersions: ['2'] })],
    ['a join with a non-list of versions', () => cbor.encode({ type: 'join', senderId: 'odd', supportedProtocolVersions: '1' })],
  ])('%s', async (_name, frame) => {
    const peer = await RawPeer.connect(server.url, { join: false })
    peer.socket.send(frame())
    const error = await peer.waitFor((m) => m.type === 'error')
    expect(error).toMatchObject({ senderId: expect.any(String), message: expect.any(String) })
    await expectClosedWith(peer, 1002)
    expect(server.errors.length).toBeGreaterThan(0)
    await expectStillServing()
  })

  it('names the sender as target when it refuses a join', async () => {
    const peer = await RawPeer.connect(server.url, { join: false })
    peer.send({ type: 'join', senderId: 'future', supportedProtocolVersions: ['2'] })
    const error = await peer.waitFor((m) => m.type === 'error')
    expect(error).toMatchObject({ targetId: 'future', message: expect.stringMatching(/protocol/) })
  })
})

describe('bad input after the handshake gets an error and the connection stays', () => {
  const docMessage = (fields: Record<string, unknown>) => (peer: RawPeer) =>
    cbor.encode({ type: 'sync', senderId: peer.peerId, targetId: peer.serverPeerId, documentId, data: new Uint8Array([0x42, 1]), ...fields })

  it.each<[string, (peer: RawPeer) => Uint8Array | string, RegExp]>([
    ['malformed CBOR', () => new Uint8Array([0x1c]), /Malformed CBOR/],
    ['truncated CBOR', () => new Uint8Array([0xa1, 0x61, 0x61]), /Malformed CBOR/],
    ['CBOR with trailing bytes', (peer) => new Uint8Array([...cbor.encode({ type: 'join', senderId: peer.peerId }), 0]), /Malformed CBOR/],
    ['a CBOR array', () => cbor.encode([1, 2, 3]), /one CBOR map/],
    ['a CBOR number', () => cbor.encode(42), /one CBOR map/],
    ['a map with integer keys', () => cbor.encode(new Map([[1, 2]])), /one CBOR map|CBOR tag 259/],
    ['a text frame', (peer) => JSON.stringify({ type: 'request', senderId: peer.peerId }), /binary/],
    ['an unknown type', (peer) => cbor.encode({ type: 'delete-everything', senderId: peer.peerId }), /Unknown message type/],
    ['a numeric type', (peer) => cbor.encode({ type: 7, senderId: peer.peerId }), /type/],
    ['a sync without targetId', docMessage({ targetId: undefined }), /targetId/],
    ['a sync without documentId', docMessage({ documentId: undefined }), /documentId/],
    ['a path trick as documentId', docMessage({ documentId: '../x' }), /documentId/],
    ['a deeper path trick', docMessage({ documentId: '../../etc/passwd' }), /documentId/],
    ['a url as documentId', docMessage({ documentId: `automerge:${validId()}` }), /documentId/],
    ['a documentId with a bad checksum', docMessage({ documentId: badChecksum() }), /documentId/],
    ['a documentId of 15 bytes', docMessage({ documentId: bs58check.encode(new Uint8Array(15).fill(7)) }), /documentId/],
    ['a documentId of 32 bytes', docMessage({ documentId: bs58check.encode(new Uint8Array(32).fill(7)) }), /documentId/],
    ['a huge documentId', docMessage({ documentId: '1'.repeat(5000) }), /documentId/],
    ['a numeric documentId', docMessage({ documentId: 42 }), /documentId/],
    ['a sync without data', docMessage({ data: undefined }), /data/],
    ['data as a string', docMessage({ data: 'AAAA' }), /data/],
    ['empty data', docMessage({ data: new Uint8Array(0) }), /data/],
    ['sync data that is not a sync message', docMessage({}), /Invalid sync data/],
    ['a request with garbage data', docMessage({ type: 'request', data: new Uint8Array([0, 1, 2, 3, 4, 5]) }), /Invalid sync data/],
    ['a spoofed senderId', docMessage({ senderId: 'someone-else' }), /senderId/],
    ['a too long senderId', docMessage({ senderId: 'x'.repeat(300) }), /senderId/],
    ['an ephemeral without sessionId', docMessage({ type: 'ephemeral', count: 1 }), /sessionId/],
    ['an ephemeral without count', docMessage({ type: 'ephemeral', sessionId: 's' }), /count/],
  ])('%s', async (_name, frame, pattern) => {
    const peer = await RawPeer.connect(server.url)
    peer.socket.send(frame(peer))
    await expectErrorButOpen(peer, pattern)
    expect(server.errors.length).toBeGreaterThan(0)
    await expectStillServing()
  })

  it('reports protocol errors through onError as ProtocolError', async () => {
    const peer = await RawPeer.connect(server.url)
    peer.socket.send(new Uint8Array([0x1c]))
    await peer.waitFor((m) => m.type === 'error')
    expect(server.errors[0]).toBeInstanceOf(ProtocolError)
  })

  it('ignores the gossip messages stock clients send', async () => {
    const peer = await RawPeer.connect(server.url)
    peer.send({ type: 'remote-subscription-change', senderId: peer.peerId, targetId: peer.serverPeerId, add: ['x'] })
    peer.send({ type: 'remote-heads-changed', senderId: peer.peerId, targetId: peer.serverPeerId, documentId, newHeads: {} })
    peer.send({ type: 'doc-unavailable', senderId: peer.peerId, targetId: peer.serverPeerId, documentId })
    peer.open(documentId)
    await until(() => peer.doc(documentId)?.version === version, 3000, 'the document')
    expect(peer.messages.some((m) => m.type === 'error')).toBe(false)
    expect(server.errors).toEqual([])
  })
})

describe('connection-level violations close the connection', () => {
  it('an oversize frame gets an error and a 1009 close', async () => {
    const peer = await RawPeer.connect(server.url)
    peer.sendDoc('sync', documentId, { data: new Uint8Array(MAX_BYTES + 1) })
    const error = await peer.waitFor((m) => m.type === 'error')
    expect(error.message).toMatch(/over the limit/)
    await expectClosedWith(peer, 1009)
    await expectStillServing()
  })

  it('a second join with another peer id gets an error and a close', async () => {
    const peer = await RawPeer.connect(server.url)
    peer.send({ type: 'join', senderId: 'another-id', supportedProtocolVersions: ['1'] })
    await peer.waitFor((m) => m.type === 'error')
    await expectClosedWith(peer, 1008)
    await expectStillServing()
  })
})

describe('authorize', () => {
  it('answers doc-unavailable for a refused document and serves the allowed ones', async () => {
    await server.close()
    const allowedId = newDocumentId()
    const asked: string[] = []
    server = await startDocServer({
      authorize: async ({ documentId: id, peerId, access }) => {
        asked.push(`${peerId}:${id}:${access}`)
        return id === allowedId
      },
    })
    const peer = await RawPeer.connect(server.url)
    const refusedId = newDocumentId()
    peer.open(refusedId, docWith({ secret: true }))
    const answer = await peer.waitFor((m) => m.type === 'doc-unavailable')
    expect(answer.documentId).toBe(refusedId)
    peer.open(allowedId, docWith({ open: true }))
    await until(async () => (await stored(server.storage, allowedId))?.open === true, 3000, 'the allowed document')
    expect(await server.storage.loadDoc(refusedId)).toBeUndefined()
    // Asked once per connection, document and access, not per message: reading when the
    // document is first used, writing when the first change arrives (the opening sync here).
    peer.change(allowedId, (doc) => {
      doc.more = 1
    })
    await delay(30)
    expect(asked).toEqual([`${peer.peerId}:${refusedId}:read`, `${peer.peerId}:${allowedId}:read`, `${peer.peerId}:${allowedId}:write`])
  })
})

describe('old clients', () => {
  it('accepts a join without supportedProtocolVersions, as automerge-repo before versioning sent', async () => {
    const peer = await RawPeer.connect(server.url, { join: false })
    peer.send({ type: 'join', senderId: 'legacy', peerMetadata: {} })
    const answer = await peer.waitFor((m) => m.type === 'peer')
    expect(answer).toMatchObject({ selectedProtocolVersion: '1', targetId: 'legacy', peerMetadata: { isEphemeral: false } })
  })
})
