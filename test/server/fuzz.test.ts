import * as A from '@automerge/automerge'
import { Encoder } from 'cbor-x'
import fc from 'fast-check'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StorageProvider, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { newDocumentId, RawPeer, until } from './docs/helpers.js'
import { CYCLIC_MAP, deepArray, TAGGED_DATE, withRawField } from './docs/hostileFrames.js'

/**
 * Thousands of random and mutated frames and bodies, bounded in count and time. The server
 * must answer or refuse each one without crashing, and what was stored before must not move.
 */
const COLLECTION = 'com.example.message'
const PROTECTED_ROOM = 'protected-room'
const cbor = new Encoder({ tagUint8Array: false, useRecords: false })
const MAX_MESSAGE_BYTES = 64 * 1024

let server: SyncServer
let storage: StorageProvider
let documentId: string
let storedBefore: { records: unknown; doc: unknown }

async function snapshot(): Promise<{ records: unknown; doc: unknown }> {
  const records = await storage.listRecords({ collection: COLLECTION, room: PROTECTED_ROOM })
  const binary = await storage.loadDoc(documentId)
  return { records, doc: binary && A.toJS(A.load(binary)) }
}

beforeAll(async () => {
  storage = memoryStorage()
  server = createSyncServer({ port: 0, storage, onError: () => {}, maxMessageBytes: MAX_MESSAGE_BYTES, limits: { messagesPerSecond: 0 } })
  await server.start()
  for (const rkey of ['a', 'b']) {
    const response = await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: PROTECTED_ROOM, rkey, value: { text: rkey }, did: 'did:example:alice' }),
    })
    expect(response.status).toBe(200)
  }
  documentId = newDocumentId()
  await storage.saveDoc(documentId, A.save(A.from({ title: 'keep me', items: [1, 2, 3] })))
  storedBefore = await snapshot()
})
afterAll(async () => {
  await server.close()
})

/** Some bytes flipped, inserted or cut: the shapes a broken or hostile client sends. */
const mutated = (bytes: Uint8Array) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'cut')), { minLength: 1, maxLength: 6 }).map((edits) => {
    const out = [...bytes]
    for (const [at, value, kind] of edits) {
      const index = out.length === 0 ? 0 : at % out.length
      if (kind === 'flip') out[index] = value
      else if (kind === 'insert') out.splice(index, 0, value)
      else out.splice(index, 1 + (value % 8))
    }
    return new Uint8Array(out)
  })

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.on('open', () => resolve(socket))
    socket.on('error', reject)
  })
}

/** Sends every frame, reopening the socket whenever the server has closed it; returns how many sockets it took. */
async function sendAll(url: string, frames: Array<Uint8Array | string>, prelude: Uint8Array | null): Promise<number> {
  let opened = 0
  let socket: WebSocket | null = null
  for (const [index, frame] of frames.entries()) {
    // Now and then let the server's answers (and closes) arrive, so a closed socket is replaced.
    if (index % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      socket = await openSocket(url)
      opened++
      socket.on('error', () => {})
      if (prelude) socket.send(prelude)
    }
    socket.send(frame)
  }
  // Let the server chew through the last frames before looking at it.
  await new Promise((resolve) => setTimeout(resolve, 100))
  socket?.close()
  return opened
}

describe('fuzzing the reference server', () => {
  it('survives random and mutated CBOR frames on the document socket', async () => {
    const peerId = 'fuzzer'
    const join = cbor.encode({ type: 'join', senderId: peerId, peerMetadata: {}, supportedProtocolVersions: ['1'] })
    const valid = [
      join,
      cbor.encode({ type: 'request', senderId: peerId, targetId: 'x', documentId, data: A.generateSyncMessage(A.init(), A.initSyncState())[1] }),
      cbor.encode({ type: 'sync', senderId: peerId, targetId: 'x', documentId, data: A.generateSyncMessage(A.from({ evil: true }), A.initSyncState())[1] }),
      cbor.encode({ type: 'ephemeral', senderId: peerId, targetId: 'x', documentId, sessionId: 's', count: 1, data: cbor.encode({ hi: 1 }) }),
    ].map((buffer) => new Uint8Array(buffer))
    const frames = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(...valid).chain(mutated),
        fc.anything().map((value) => new Uint8Array(cbor.encode({ type: 'sync', senderId: peerId, documentId, data: value }))),
      ),
      { numRuns: 1500, seed: 42 },
    )
    const sockets = await sendAll(server.url.replace('http', 'ws'), frames, join)
    // Some frames end their connection (a changed peer id, say): the run went through several.
    expect(sockets).toBeGreaterThan(1)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect(await snapshot()).toEqual(storedBefore)
  })

  it('survives random JSON and text on a records watch socket', async () => {
    const handshake = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${PROTECTED_ROOM}&mode=ws`)).json()) as { wsUrl: string }
    const frames = fc.sample(fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 100 })), { numRuns: 500, seed: 7 })
    await sendAll(handshake.wsUrl, frames, null)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect(await snapshot()).toEqual(storedBefore)
  })

  it('answers random and mutated HTTP bodies with 4xx or 200, never a crash or a 500', async () => {
    const valid = new TextEncoder().encode(JSON.stringify({ roomUri: 'fuzz-room', rkey: 'k', value: { text: 'x' }, did: 'did:example:mallory' }))
    const bodies = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(valid), fc.json().map((text) => new TextEncoder().encode(text))), { numRuns: 600, seed: 3 })
    const methods = ['putRecord', 'deleteRecord', 'listRecords']
    const statuses = new Set<number>()
    for (const [index, body] of bodies.entries()) {
      const method = methods[index % methods.length]!
      const response = await fetch(`${server.url}/xrpc/${COLLECTION}.${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      statuses.add(response.status)
      await response.arrayBuffer()
    }
    expect([...statuses].every((status) => status < 500)).toBe(true)
    expect(statuses.has(400)).toBe(true)
    expect(await snapshot()).toEqual(storedBefore)
  })

  it('survives deep, cyclic and tagged CBOR in every document message type, and oversized ephemeral messages', async () => {
    const ws = server.url.replace('http', 'ws')
    // A subscribed listener: relaying an ephemeral message to it is what once re-encoded a hostile value.
    const listener = await RawPeer.connect(ws)
    listener.open(documentId)
    await until(() => listener.doc(documentId)?.title === 'keep me', 3000, 'the listener to load the document')
    const peerId = 'hostile'
    const base = { senderId: peerId, targetId: 'x', documentId }
    const messages: Array<Record<string, unknown>> = [
      { type: 'join', senderId: peerId, supportedProtocolVersions: ['1'] },
      { ...base, type: 'request', data: A.generateSyncMessage(A.init(), A.initSyncState())[1] },
      { ...base, type: 'sync', data: A.generateSyncMessage(A.from({ evil: true }), A.initSyncState())[1] },
      { ...base, type: 'ephemeral', sessionId: 'evil', count: 1, data: new Uint8Array([0xf6]) },
    ]
    const randomTags = fc.sample(fc.integer({ min: 0, max: 0xffff }).filter((tag) => tag !== 64), { numRuns: 40, seed: 11 })
    const hostile = [
      deepArray(2000),
      deepArray(60_000), // as deep as fits in a frame under the limit
      deepArray(17),
      CYCLIC_MAP,
      TAGGED_DATE,
      Uint8Array.from([0xd8, 0x1d, 0x00]), // a reference (tag 29) to nothing
      ...randomTags.map((tag) => Uint8Array.from([0xd9, tag >> 8, tag & 0xff, 0xf6])),
    ]
    const frames: Uint8Array[] = []
    for (const message of messages) {
      for (const value of hostile) frames.push(withRawField(message, value))
      // The hostile value in place of the message's own data, and as the whole frame.
      if ('data' in message) for (const value of hostile.slice(0, 6)) frames.push(withRawField({ ...message, data: undefined }, value))
    }
    frames.push(...hostile)
    // One frame at a time, each answered by an error on a connection that stays open.
    const attacker = await RawPeer.connect(ws, { peerId })
    const errors = (): number => attacker.messages.filter((message) => message.type === 'error').length
    for (const [index, frame] of frames.entries()) {
      attacker.socket.send(frame)
      await until(() => errors() > index || undefined, 3000, `an error message for hostile frame ${index}`)
    }
    expect(attacker.socket.readyState).toBe(WebSocket.OPEN)
    // An ephemeral message over the frame limit closes its connection (1009); one just under it is relayed.
    const ephemeral = (size: number) => new Uint8Array(cbor.encode({ ...base, type: 'ephemeral', sessionId: 'big', count: size, data: new Uint8Array(size) }))
    attacker.socket.send(ephemeral(4 * MAX_MESSAGE_BYTES))
    expect((await attacker.closed).code).toBe(1009)
    const sender = await RawPeer.connect(ws, { peerId })
    sender.socket.send(ephemeral(MAX_MESSAGE_BYTES - 200))
    const big = await listener.waitFor((message) => message.type === 'ephemeral' && message.sessionId === 'big')
    expect((big.data as Uint8Array).byteLength).toBe(MAX_MESSAGE_BYTES - 200)
    sender.close()

    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect(listener.socket.readyState).toBe(WebSocket.OPEN)
    expect(listener.messages.some((message) => message.type === 'ephemeral' && message.sessionId === 'evil')).toBe(false)
    // A later, ordinary client still syncs the document.
    const late = await RawPeer.connect(ws)
    late.open(documentId)
    await until(() => late.doc(documentId)?.title === 'keep me', 3000, 'a later client to sync the document')
    expect(late.doc(documentId)).toEqual({ title: 'keep me', items: [1, 2, 3] })
    expect(await snapshot()).toEqual(storedBefore)
    listener.close()
    late.close()
  })

  it('answers deep JSON in every HTTP body field below 500, and ignores it on a watch socket', async () => {
    const deep = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels)
    const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)
    const bodies = [
      `{"roomUri":"${PROTECTED_ROOM}","rkey":"fuzz","did":"did:example:alice","value":{"deep":${deep(6000)}}}`,
      `{"roomUri":"${PROTECTED_ROOM}","rkey":"fuzz","did":"did:example:alice","value":${deepObject(6000)}}`,
      `{"roomUri":"${PROTECTED_ROOM}","rkey":"fuzz","did":"did:example:alice","value":${deepObject(65)}}`,
      `{"roomUri":${deep(6000)},"rkey":"fuzz","did":"did:example:alice","value":{}}`,
      `{"roomUri":"${PROTECTED_ROOM}","rkey":${deepObject(6000)},"did":"did:example:alice","value":{}}`,
      `{"roomUri":"${PROTECTED_ROOM}","rkey":"fuzz","did":${deep(6000)},"value":{}}`,
      `{"collection":${deep(6000)},"roomUri":"${PROTECTED_ROOM}"}`,
      deep(100_000),
      deepObject(100_000),
    ]
    const statuses = new Set<number>()
    for (const body of bodies) {
      for (const method of [`${COLLECTION}.putRecord`, `${COLLECTION}.deleteRecord`, 'realtime.ticket']) {
        const response = await fetch(`${server.url}/xrpc/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        statuses.add(response.status)
        await response.arrayBuffer()
      }
    }
    expect([...statuses].every((status) => status < 500)).toBe(true)
    expect(statuses.has(400)).toBe(true)
    const handshake = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${PROTECTED_ROOM}&mode=ws`)).json()) as { wsUrl: string }
    await sendAll(handshake.wsUrl, [deep(100_000), deepObject(100_000), new Uint8Array(deepArray(100_000))], null)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    expect(await snapshot()).toEqual(storedBefore)
  })
})
