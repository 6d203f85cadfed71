import { afterEach, describe, expect, it } from 'vitest'
import { SyncError } from '../../../src/core/errors.js'
import type { Frame, RawServer } from './helpers.js'
import { answerJoin, closeAll, connect, delay, encodeCbor, rawServer, until } from './helpers.js'
import type { WebSocket as WsSocket } from 'ws'

afterEach(closeAll)

type Notes = { notes: string[] }

/**
 * A server that completes the handshake (late), then says `say(...)` a little after the
 * client has sent its first document message — so the client has a document in hand when
 * the bad input comes, and a wait that passes before the answer arrives fails every time.
 */
async function scripted(say: (frame: Frame, socket: WsSocket, server: RawServer) => void) {
  let said = false
  const server = await rawServer((frame, socket, raw) => {
    if (answerJoin(frame, socket, raw, { lateMs: 30 })) return
    if (!said && (frame.type === 'sync' || frame.type === 'request')) {
      said = true
      setTimeout(() => say(frame, socket, raw), 30)
    }
  })
  const ignored: unknown[] = []
  // This server never acknowledges anything: do not let close() wait for it.
  const connection = connect(server.url, { onIgnoredError: (error) => ignored.push(error), closeTimeoutMs: 10 })
  const store = connection.create<Notes>({ notes: ['mine'] })
  await until(() => said, 'the client to send its document')
  return { server, connection, store, ignored }
}

const docMessage = (frame: Frame, fields: Record<string, unknown>) => ({
  senderId: 'raw-server',
  targetId: frame.senderId,
  documentId: frame.documentId,
  ...fields,
})

describe('bad input from the server', () => {
  it('skips a frame that is not valid CBOR, reports it as protocol, and stays connected', async () => {
    const t = await scripted((_frame, socket, server) => server.send(socket, Uint8Array.from([0xa2, 0x64, 0x74, 0x79])))
    await until(() => t.connection.getSnapshot().error !== null, 'the error')
    expect(t.connection.getSnapshot().error?.code).toBe('protocol')
    expect(t.ignored[0]).toBeInstanceOf(SyncError)
    expect(t.connection.getSnapshot().status).toBe('snapshot')
    expect(t.server.sockets[0]?.readyState).toBe(1)
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine'])
  })

  it('skips a message of unknown type and a text frame', async () => {
    const t = await scripted((frame, socket, server) => {
      server.send(socket, docMessage(frame, { type: 'teleport', data: new Uint8Array([1]) }))
      socket.send('{"type":"sync"}')
    })
    await until(() => t.ignored.length === 2, 'both frames reported')
    expect(t.ignored.map((error) => (error as SyncError).code)).toEqual(['protocol', 'protocol'])
    expect(String(t.ignored[0])).toMatch(/unknown type "teleport"/)
    expect(t.connection.getSnapshot().status).toBe('snapshot')
    t.store.change((doc) => void doc.notes.push('still works'))
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine', 'still works'])
  })

  it('keeps the document when sync data is not a sync message, and says which document', async () => {
    const t = await scripted((frame, socket, server) => server.send(socket, docMessage(frame, { type: 'sync', data: new Uint8Array([1, 2, 3]) })))
    await until(() => t.store.getSnapshot().error !== null, 'the document error')
    expect(t.store.getSnapshot().error?.code).toBe('protocol')
    expect(t.store.getSnapshot().error?.message).toContain(t.store.url)
    expect(t.connection.getSnapshot().error?.code).toBe('protocol')
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine'])
    t.store.change((doc) => void doc.notes.push('after'))
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine', 'after'])
    expect(t.connection.getSnapshot().status).toBe('snapshot')
  })

  it('surfaces an error message after the handshake without dropping the connection', async () => {
    const t = await scripted((frame, socket, server) => server.send(socket, { type: 'error', senderId: 'raw-server', targetId: frame.senderId, message: 'disk is full' }))
    await until(() => t.connection.getSnapshot().error !== null, 'the error')
    expect(t.connection.getSnapshot().error).toMatchObject({ code: 'protocol', message: expect.stringContaining('disk is full') })
    expect(t.connection.getSnapshot().status).toBe('snapshot')
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine'])
  })

  it('parks on an error message that refuses the credentials, keeping the document', async () => {
    const t = await scripted((frame, socket, server) => {
      server.send(socket, { type: 'error', senderId: 'raw-server', targetId: frame.senderId, message: 'Unauthorized: invalid token' })
    })
    await until(() => t.connection.getSnapshot().status === 'closed', 'closed')
    expect(t.connection.getSnapshot().error?.code).toBe('unauthorized')
    expect(t.store.getSnapshot().doc?.notes).toEqual(['mine'])
  })

  it('does not retry when the server refuses protocol "1"', async () => {
    let joins = 0
    const server = await rawServer((frame, socket, raw) => {
      if (frame.type !== 'join') return
      joins++
      raw.send(socket, { type: 'error', senderId: 'raw-server', targetId: frame.senderId, message: 'unsupported protocol version' })
      socket.close()
    })
    const connection = connect(server.url)
    await until(() => connection.getSnapshot().status === 'closed', 'closed')
    expect(connection.getSnapshot().error).toMatchObject({ code: 'protocol', message: expect.stringContaining('protocol "1"') })
    expect(server.frames[0]).toMatchObject({ type: 'join', supportedProtocolVersions: ['1'], peerMetadata: { isEphemeral: true } })
    expect(server.frames[0]).not.toHaveProperty('storageId')
    // Backoff here is 20–100 ms: a retry loop would have joined again by now.
    await delay(250)
    expect(joins).toBe(1)
  })

  it('does not retry when the server selects a protocol version other than "1"', async () => {
    let joins = 0
    const server = await rawServer((frame, socket, raw) => {
      if (frame.type !== 'join') return
      joins++
      raw.send(socket, { type: 'peer', senderId: 'raw-server', peerMetadata: {}, selectedProtocolVersion: '2', targetId: frame.senderId })
    })
    const connection = connect(server.url)
    await until(() => connection.getSnapshot().status === 'closed', 'closed')
    expect(connection.getSnapshot().error?.code).toBe('protocol')
    await delay(250)
    expect(joins).toBe(1)
  })

  it('refuses a malformed or bad-checksum document id before anything is sent', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    await until(() => connection.getSnapshot().status === 'live', 'live')
    const good = connection.create<Notes>({ notes: [] }).documentId
    // The same id with its last character changed: the bs58check checksum no longer matches.
    const badChecksum = good.slice(0, -1) + (good.endsWith('2') ? '3' : '2')
    for (const bad of [badChecksum, `automerge:${badChecksum}`, 'not-an-id!', '', `automerge:${good}#heads`, '3'.repeat(80)]) {
      expect(() => connection.open(bad), bad).toThrow(SyncError)
      try {
        connection.open(bad)
      } catch (error) {
        expect((error as SyncError).code).toBe('bad-input')
      }
    }
    await delay(30)
    expect(server.frames.filter((frame) => frame.documentId !== good && frame.type !== 'join')).toEqual([])
  })

  it('ignores a frame of bytes that decode to something other than a map', async () => {
    const t = await scripted((_frame, socket, server) => server.send(socket, encodeCbor([1, 2, 3])))
    await until(() => t.connection.getSnapshot().error !== null, 'the error')
    expect(t.connection.getSnapshot().error?.code).toBe('protocol')
    expect(t.connection.getSnapshot().status).toBe('snapshot')
  })
})
