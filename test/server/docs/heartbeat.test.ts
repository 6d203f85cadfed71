import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { Decoder } from 'cbor-x'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, RawPeer, startDocServer, until } from './helpers.js'

const repos: Repo[] = []
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.shutdown()))
  await closeAll()
})

const KEEPALIVE_MS = 50

describe('syncline-heartbeat on document sockets', () => {
  it('goes to a peer that asks for it in peerMetadata: at once after peer, then every keepaliveMs', async () => {
    const server = await startDocServer({ keepaliveMs: KEEPALIVE_MS })
    const peer = await RawPeer.connect(server.url, { join: false })
    peer.send({ type: 'join', senderId: peer.peerId, peerMetadata: { isEphemeral: true, synclineHeartbeat: true }, supportedProtocolVersions: ['1'] })
    await until(() => peer.messages.filter((m) => m.type === 'syncline-heartbeat').length >= 3, 3000, 'three heartbeats')
    expect(peer.messages[0]!.type).toBe('peer')
    expect(peer.messages[1]).toEqual({ type: 'syncline-heartbeat', senderId: peer.messages[0]!.senderId, targetId: peer.peerId, intervalMs: KEEPALIVE_MS })
    expect(server.errors).toEqual([])
  })

  it('never goes to a peer that did not ask (a plain join, as stock clients send)', async () => {
    const server = await startDocServer({ keepaliveMs: KEEPALIVE_MS })
    const plain = await RawPeer.connect(server.url)
    // A second peer that asks is the clock: once it has had several beats, the plain one would have too.
    const asking = await RawPeer.connect(server.url, { join: false })
    asking.send({ type: 'join', senderId: asking.peerId, peerMetadata: { synclineHeartbeat: true }, supportedProtocolVersions: ['1'] })
    await until(() => asking.messages.filter((m) => m.type === 'syncline-heartbeat').length >= 4, 3000, 'four heartbeats to the asking peer')
    expect(plain.messages.map((m) => m.type)).toEqual(['peer'])
  })

  it('is off with keepaliveMs: 0, even for a peer that asks', async () => {
    const server = await startDocServer({ keepaliveMs: 0 })
    const peer = await RawPeer.connect(server.url, { join: false })
    peer.send({ type: 'join', senderId: peer.peerId, peerMetadata: { synclineHeartbeat: true }, supportedProtocolVersions: ['1'] })
    await peer.waitFor((m) => m.type === 'peer')
    // Something to wait for that comes after where a heartbeat would be: a round trip.
    peer.sendDoc('request', 'not-a-valid-id', { data: new Uint8Array([1]) })
    await peer.waitFor((m) => m.type === 'error')
    expect(peer.messages.map((m) => m.type)).toEqual(['peer', 'error'])
  })

  it('is never seen by a stock automerge-repo client, which syncs through the server undisturbed', async () => {
    const server = await startDocServer({ keepaliveMs: KEEPALIVE_MS })
    const adapter = new WebSocketClientAdapter(server.url)
    const repo = new Repo({ network: [adapter], sharePolicy: async () => true })
    repos.push(repo)
    const received: string[] = []
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
    await until(() => adapter.socket !== undefined, 3000, 'the stock client to open its socket')
    adapter.socket!.addEventListener('message', (event) => {
      received.push(String((decoder.decode(new Uint8Array(event.data as ArrayBuffer)) as { type?: unknown }).type))
    })
    const handle = repo.create<{ n: number }>({ n: 1 })
    await until(() => received.includes('sync'), 3000, 'the server to answer the stock client’s sync')
    // Meanwhile a syncline-style peer on the same server gets its beats: the clock of this test.
    const asking = await RawPeer.connect(server.url, { join: false })
    asking.send({ type: 'join', senderId: asking.peerId, peerMetadata: { synclineHeartbeat: true }, supportedProtocolVersions: ['1'] })
    await until(() => asking.messages.filter((m) => m.type === 'syncline-heartbeat').length >= 4, 3000, 'four heartbeats to the asking peer')
    expect(received).not.toContain('syncline-heartbeat')
    expect(handle.doc()).toEqual({ n: 1 })
    expect(server.errors).toEqual([])
  })
})
