import * as A from '@automerge/automerge'
import { Encoder } from 'cbor-x'
import { afterEach, describe, expect, it } from 'vitest'
import { frameShapeProblem } from '../../../src/server/docs/frameShape.js'
import type { DocServer } from './helpers.js'
import { closeAll, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'
import { CYCLIC_MAP, deepArray, TAGGED_DATE, withRawField } from './hostileFrames.js'

/**
 * Security review, issue 13 item 1: one frame with deep or cyclic CBOR used to make the
 * ephemeral relay's encoder overflow its stack (or loop) inside the socket listener, which
 * ended the whole process. Each frame here must get an `error` and change nothing.
 */
afterEach(closeAll)

const cbor = new Encoder({ tagUint8Array: false, useRecords: false })

/** A document with an author and a subscribed listener, stored. */
async function setup(): Promise<{ server: DocServer; documentId: string; author: RawPeer; listener: RawPeer }> {
  const server = await startDocServer()
  const documentId = newDocumentId()
  const author = await RawPeer.connect(server.url)
  author.open(documentId, docWith({ title: 'keep me' }))
  await until(async () => (await stored(server.storage, documentId))?.title === 'keep me', 3000, 'the document to be stored')
  const listener = await RawPeer.connect(server.url)
  listener.open(documentId)
  await until(() => listener.doc(documentId)?.title === 'keep me', 3000, 'the listener to load the document')
  return { server, documentId, author, listener }
}

/** The server still relays an ordinary ephemeral message, and a fresh client still syncs. */
async function expectStillServing(server: DocServer, documentId: string, author: RawPeer, listener: RawPeer): Promise<void> {
  const data = new Uint8Array(cbor.encode({ cursor: 3 }))
  author.sendDoc('ephemeral', documentId, { sessionId: 'ok', count: 1, data })
  const relayed = await listener.waitFor((m) => m.type === 'ephemeral' && m.sessionId === 'ok')
  expect(relayed).toMatchObject({ senderId: author.peerId, targetId: listener.peerId, documentId, count: 1 })
  const late = await RawPeer.connect(server.url)
  late.open(documentId)
  await until(() => late.doc(documentId)?.title === 'keep me', 3000, 'a later client to sync the document')
  expect(await stored(server.storage, documentId)).toEqual({ title: 'keep me' })
}

const hostileValues: Array<[string, Uint8Array]> = [
  ['nested 2,000 deep', deepArray(2000)],
  ['nested 17 deep (one past the limit)', deepArray(17)],
  ['cyclic (tags 28/29)', CYCLIC_MAP],
  ['tagged with a date (tag 1)', TAGGED_DATE],
]

describe('hostile CBOR in document frames', () => {
  it.each(hostileValues)('an ephemeral message with a field %s gets an error; nothing is relayed and the server stays up', async (_name, value) => {
    const { server, documentId, author, listener } = await setup()
    const frame = withRawField({ type: 'ephemeral', senderId: author.peerId, targetId: author.serverPeerId, documentId, sessionId: 'evil', count: 1, data: new Uint8Array([0xf6]) }, value)
    author.socket.send(frame)
    const error = await author.waitFor((m) => m.type === 'error')
    expect(String(error.message)).toMatch(/Malformed CBOR frame/)
    await expectStillServing(server, documentId, author, listener)
    expect(listener.messages.some((m) => m.type === 'ephemeral' && m.sessionId === 'evil')).toBe(false)
  })

  it.each(hostileValues)('join, request and sync messages with a field %s get an error', async (_name, value) => {
    const { server, documentId, author, listener } = await setup()
    const attacker = await RawPeer.connect(server.url)
    const [, request] = A.generateSyncMessage(A.init(), A.initSyncState())
    const [, sync] = A.generateSyncMessage(A.from({ evil: true }), A.initSyncState())
    const base = { senderId: attacker.peerId, targetId: attacker.serverPeerId, documentId }
    attacker.socket.send(withRawField({ ...base, type: 'request', data: request }, value))
    attacker.socket.send(withRawField({ ...base, type: 'sync', data: sync }, value))
    await until(() => attacker.messages.filter((m) => m.type === 'error').length === 2 || undefined, 3000, 'two error messages')
    // Before the handshake, a bad frame ends the connection (1002).
    const newcomer = await RawPeer.connect(server.url, { join: false })
    newcomer.socket.send(withRawField({ type: 'join', senderId: 'newcomer', supportedProtocolVersions: ['1'] }, value))
    expect((await newcomer.closed).code).toBe(1002)
    await expectStillServing(server, documentId, author, listener)
  })

  it('relays only the checked fields of an ephemeral message, so nothing else a sender adds is re-encoded', async () => {
    const { server, documentId, author, listener } = await setup()
    author.sendDoc('ephemeral', documentId, { sessionId: 's', count: 7, data: new Uint8Array([1, 2]), smuggled: { deep: [1] } })
    const relayed = await listener.waitFor((m) => m.type === 'ephemeral' && m.sessionId === 's')
    expect(Object.keys(relayed).sort()).toEqual(['count', 'data', 'documentId', 'senderId', 'sessionId', 'targetId', 'type'])
    await expectStillServing(server, documentId, author, listener)
  })
})

describe('frameShapeProblem', () => {
  it('accepts every frame shape stock clients send, including tag 64 byte strings and indefinite lengths', () => {
    const frames = [
      cbor.encode({ type: 'join', senderId: 'p', peerMetadata: { storageId: 's', isEphemeral: false }, supportedProtocolVersions: ['1'] }),
      cbor.encode({ type: 'remote-heads-changed', senderId: 'p', newHeads: { storage: { heads: ['a', 'b'], timestamp: 1.5 } } }),
      new Encoder({ useRecords: false }).encode({ type: 'sync', data: new Uint8Array([1, 2, 3]) }),
      Uint8Array.from([0xbf, 0x61, 0x61, 0x9f, 0x01, 0xff, 0x61, 0x62, 0x5f, 0x41, 0x00, 0xff, 0xff]),
    ]
    for (const frame of frames) expect(frameShapeProblem(frame, 16)).toBeNull()
  })

  it.each<[string, Uint8Array, RegExp]>([
    ['depth past the limit', deepArray(17), /deeper than 16/],
    ['a shared reference', CYCLIC_MAP, /tag 28/],
    ['a length past the end', Uint8Array.from([0x5a, 0xff, 0xff, 0xff, 0xff]), /past the end/],
    ['a count past the end', Uint8Array.from([0x9b, 0, 0, 0, 1, 0, 0, 0, 0]), /more items/],
    ['trailing bytes', Uint8Array.from([0xa0, 0x00]), /left over/],
    ['a truncated map', Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x01]), /ends inside/],
    ['a stray break', Uint8Array.from([0xff]), /break/],
    ['a bad indefinite chunk', Uint8Array.from([0x5f, 0x61, 0x61, 0xff]), /chunk/],
    ['a reserved simple value', Uint8Array.from([0xfc]), /reserved/],
  ])('refuses %s', (_name, frame, pattern) => {
    expect(frameShapeProblem(frame, 16)).toMatch(pattern)
  })
})

describe('no message handler throws out of the socket listener', () => {
  it('a throwing onDocumentChanged hook is reported; the change is still relayed and stored', async () => {
    const server = await startDocServer({
      onDocumentChanged: () => {
        throw new Error('hook failed')
      },
    })
    const documentId = newDocumentId()
    const author = await RawPeer.connect(server.url)
    author.open(documentId, docWith({ n: 1 }))
    await until(async () => (await stored(server.storage, documentId))?.n === 1, 3000, 'the first version to be stored')
    const listener = await RawPeer.connect(server.url)
    listener.open(documentId)
    await until(() => listener.doc(documentId)?.n === 1, 3000, 'the listener to load the document')
    author.change(documentId, (doc) => {
      doc.n = 2
    })
    await until(() => listener.doc(documentId)?.n === 2, 3000, 'the listener to get the change')
    await until(async () => (await stored(server.storage, documentId))?.n === 2, 3000, 'the change to be stored')
    await until(() => author.acknowledged(documentId) || undefined, 3000, 'the author to be acknowledged')
    expect(server.errors.some((error) => /hook failed/.test(String(error)))).toBe(true)
  })
})
