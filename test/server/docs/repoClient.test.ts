import { Repo } from '@automerge/automerge-repo'
import type { AnyDocumentId, DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'

interface Note {
  text: string
  count?: number
  fromB?: boolean
}

const repos: Repo[] = []

/** A stock automerge-repo 2.x client, exactly as an app would make one. */
function stockRepo(url: string): Repo {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)], sharePolicy: async () => true })
  repos.push(repo)
  return repo
}

afterEach(async () => {
  // Clients first: a stock client whose server goes away schedules reconnects.
  await Promise.all(repos.splice(0).map((repo) => repo.shutdown()))
  await closeAll()
})

describe('a stock automerge-repo Repo client', () => {
  it('syncs a document to another Repo through the server, both ways and live', async () => {
    const server = await startDocServer()
    const repoA = stockRepo(server.url)
    const repoB = stockRepo(server.url)

    const handleA = repoA.create<Note>({ text: 'hello' })
    handleA.change((doc) => {
      doc.count = 1
    })
    // B can only find what the server has: wait until A's sync reached it.
    await until(async () => (await stored(server.storage, handleA.documentId))?.count === 1, 5000, 'the server to store A')

    const handleB = await repoB.find<Note>(handleA.url)
    expect(handleB.doc()).toEqual({ text: 'hello', count: 1 })

    handleB.change((doc) => {
      doc.fromB = true
      doc.count = 2
    })
    await until(() => handleA.doc().fromB === true, 5000, 'A to see B’s change')
    expect(handleA.doc()).toEqual({ text: 'hello', count: 2, fromB: true })

    handleA.change((doc) => {
      doc.text = 'hello again'
    })
    await until(() => handleB.doc().text === 'hello again', 5000, 'B to see A’s second change')
    expect(server.service.peerCount).toBe(2)
    expect(server.errors).toEqual([])
  })

  it('gets doc-unavailable for a document nobody has, so find rejects at once', async () => {
    const server = await startDocServer()
    const repo = stockRepo(server.url)
    // automerge-repo's own give-up timeout is a minute, three times this test's timeout: only
    // the server's answer can make find reject before the test times out.
    await expect(repo.find(`automerge:${newDocumentId()}` as AnyDocumentId)).rejects.toThrow(/unavailable/)
    expect(server.errors).toEqual([])
  })

  it('receives a document that appears after it was unavailable', async () => {
    const server = await startDocServer()
    const repo = stockRepo(server.url)
    const documentId = newDocumentId()
    await expect(repo.find(`automerge:${documentId}` as AnyDocumentId)).rejects.toThrow(/unavailable/)

    const raw = await RawPeer.connect(server.url)
    raw.open(documentId, docWith({ text: 'late' }))
    const handle = await until(() => {
      const found = (repo.handles as Record<string, DocHandle<Note> | undefined>)[documentId]
      return found?.isReady() ? found : undefined
    }, 5000, 'the waiting Repo to receive the document')
    expect(handle.doc()).toEqual({ text: 'late' })
  })

  it('relays ephemeral messages between Repo clients with the sender’s peer id', async () => {
    const server = await startDocServer()
    const repoA = stockRepo(server.url)
    const repoB = stockRepo(server.url)
    const handleA = repoA.create<Note>({ text: 'presence' })
    await until(async () => (await stored(server.storage, handleA.documentId)) !== undefined, 5000, 'the server to store A')
    const handleB = await repoB.find<Note>(handleA.url)

    const received: Array<{ senderId: string; message: unknown }> = []
    handleB.on('ephemeral-message', ({ senderId, message }) => received.push({ senderId, message }))
    // B's subscription reaches the server with its first sync; resend until it lands.
    await until(() => {
      handleA.broadcast({ cursor: 7 })
      return received.length > 0
    }, 5000, 'B to receive the broadcast')
    expect(received[0]).toEqual({ senderId: repoA.peerId, message: { cursor: 7 } })
  })
})
