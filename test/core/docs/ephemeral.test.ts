import { Decoder } from 'cbor-x'
import { afterEach, describe, expect, it } from 'vitest'
import type { EphemeralMeta } from '../../../src/core/docs/types.js'
import { answerJoin, closeAll, connect, rawServer, repoClient, startRepoServer, until, untilServerHas } from './helpers.js'

afterEach(closeAll)

type Room = { name: string }

describe('ephemeral messages', () => {
  it('travel both ways between syncline and a stock Repo client through a stock server', async () => {
    const server = await startRepoServer()
    const peer = repoClient(server.url)
    const handle = peer.create<Room>({ name: 'lobby' })
    await untilServerHas(server, handle.documentId)
    const fromSyncline: Array<{ senderId: string; message: unknown }> = []
    handle.on('ephemeral-message', ({ senderId, message }) => fromSyncline.push({ senderId, message }))

    const connection = connect(server.url)
    const store = connection.open<Room>(handle.url)
    const fromRepo: Array<{ message: unknown; meta: EphemeralMeta }> = []
    store.onEphemeral((message, meta) => fromRepo.push({ message, meta }))
    await until(() => connection.getSnapshot().status === 'live', 'live')

    expect(store.broadcast({ cursor: 3, user: 'ada' })).toBe(true)
    await until(() => fromSyncline.length > 0, 'the Repo client to get the message')
    expect(fromSyncline[0]).toEqual({ senderId: connection.getSnapshot().peerId, message: { cursor: 3, user: 'ada' } })

    handle.broadcast({ typing: true })
    await until(() => fromRepo.length > 0, 'syncline to get the message')
    expect(fromRepo[0]?.message).toEqual({ typing: true })
    expect(fromRepo[0]?.meta.senderId).toBe(peer.peerId)
  })

  it('sends { documentId, sessionId, count, data } with data CBOR and count increasing; drops them offline', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    const store = connection.create<Room>({ name: 'x' })
    expect(store.broadcast({ early: true })).toBe(false)
    await until(() => connection.getSnapshot().status === 'snapshot' || connection.getSnapshot().status === 'live', 'connected')
    store.broadcast({ n: 1 })
    store.broadcast({ n: 2 })
    const sent = await until(() => {
      const frames = server.frames.filter((frame) => frame.type === 'ephemeral')
      return frames.length === 2 ? frames : undefined
    }, 'two ephemeral frames')
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
    expect(sent.map((frame) => decoder.decode(frame.data as Uint8Array))).toEqual([{ n: 1 }, { n: 2 }])
    expect(sent[0]).toMatchObject({ documentId: store.documentId, senderId: connection.getSnapshot().peerId, targetId: 'raw-server' })
    expect(sent[0]?.sessionId).toBe(sent[1]?.sessionId)
    expect(Number(sent[1]?.count)).toBeGreaterThan(Number(sent[0]?.count))
  })
})

describe('broadcast() input', () => {
  it("throws SyncError 'bad-input' for a Map, Set or Date, online or not, and sends nothing", async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    const store = connection.create<Room>({ name: 'x' })
    expect(() => store.broadcast(new Map([['cursor', 3]]))).toThrow(expect.objectContaining({ code: 'bad-input' }))
    await until(() => connection.getSnapshot().status === 'snapshot' || connection.getSnapshot().status === 'live', 'connected')
    for (const value of [new Map([['cursor', 3]]), new Set([1]), { at: new Date(0) }]) {
      expect(() => store.broadcast(value)).toThrow(expect.objectContaining({ name: 'SyncError', code: 'bad-input' }))
    }
    expect(store.broadcast({ ok: true })).toBe(true)
    await until(() => server.frames.some((frame) => frame.type === 'ephemeral') || null, 'the valid ephemeral frame')
    expect(server.frames.filter((frame) => frame.type === 'ephemeral')).toHaveLength(1)
  })
})
