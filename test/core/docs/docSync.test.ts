import { describe, expect, it } from 'vitest'
import type { Automerge, Doc } from '../../../src/core/docs/automerge.js'
import { loadAutomerge } from '../../../src/core/docs/automerge.js'
import type { DocSync, OutgoingSync } from '../../../src/core/docs/docSync.js'
import { finishesRound, hasOurChanges, initialSync, nextSyncMessage, receiveSyncMessage, serverHasOurs, syncForSession } from '../../../src/core/docs/docSync.js'

type Note = { text: string }

/** A stand-in server: a plain Automerge document and its sync state, answering each message. */
function peer(A: Automerge, doc: Doc<Note>) {
  let state = A.initSyncState()
  return {
    get doc() {
      return doc
    },
    receive(message: OutgoingSync): Uint8Array | null {
      ;[doc, state] = A.receiveSyncMessage(doc, state, message.data)
      const [next, reply] = A.generateSyncMessage(doc, state)
      state = next
      return reply
    },
  }
}

/** Runs rounds until neither side has anything to say; returns what the client sent. */
function converge(A: Automerge, doc: Doc<Note>, sync: DocSync, server: ReturnType<typeof peer>) {
  const sent: OutgoingSync[] = []
  let finished = finishesRound(A, doc, sync)
  for (let round = 0; round < 20; round++) {
    let message: OutgoingSync | null
    ;[sync, message] = nextSyncMessage(A, doc, sync)
    if (message === null) break
    sent.push(message)
    const reply = server.receive(message)
    if (reply === null) break
    ;[doc, sync] = receiveSyncMessage(A, doc, sync, reply)
    if (finishesRound(A, doc, sync)) {
      finished = true
      sync = { ...sync, roundDone: true }
    }
  }
  return { doc, sync, sent, finished }
}

describe('docSync', () => {
  it('an empty document sends request once (never sync) and nothing more until the server shows heads; then it receives the document', async () => {
    const A = await loadAutomerge()
    const server = peer(A, A.from<Note>({ text: 'on the server' }))
    let sync = syncForSession(A, initialSync(A), 1)
    const empty = A.init<Note>()
    const [asked, request] = nextSyncMessage(A, empty, sync)
    expect(request?.type).toBe('request')
    expect(nextSyncMessage(A, empty, asked)[1]).toBeNull()
    sync = asked
    const reply = server.receive(request!)
    expect(reply).not.toBeNull()
    const { doc, finished } = converge(A, ...receiveSyncMessage(A, empty, sync, reply!), server)
    expect(doc.text).toBe('on the server')
    expect(finished).toBe(true)
  })

  it('a document with changes sends sync until the server has them, and the round then finishes', async () => {
    const A = await loadAutomerge()
    const server = peer(A, A.init<Note>())
    const doc = A.from<Note>({ text: 'mine' })
    const start = syncForSession(A, initialSync(A), 1)
    expect(serverHasOurs(A, doc, start)).toBe(false)
    const { sync, sent, finished } = converge(A, doc, start, server)
    expect(sent[0]?.type).toBe('sync')
    expect(server.doc.text).toBe('mine')
    expect(serverHasOurs(A, doc, sync)).toBe(true)
    expect(finished).toBe(true)
  })

  it('a new session keeps what is shared but starts a new round and may request again', async () => {
    const A = await loadAutomerge()
    const sync: DocSync = { ...syncForSession(A, initialSync(A), 1), requested: true, roundDone: true }
    expect(syncForSession(A, sync, 1)).toBe(sync)
    const next = syncForSession(A, sync, 2)
    expect(next).toMatchObject({ session: 2, requested: false, roundDone: false })
  })

  it('a message Automerge cannot apply throws and leaves the state as it was', async () => {
    const A = await loadAutomerge()
    const sync = syncForSession(A, initialSync(A), 1)
    const doc = A.from<Note>({ text: 'x' })
    expect(() => receiveSyncMessage(A, doc, sync, new Uint8Array([0x42, 1, 2]))).toThrow()
    expect(nextSyncMessage(A, doc, sync)[1]?.type).toBe('sync')
  })

  it("hasOurChanges answers as Automerge's own at every step of a sync with changes on both sides, merges, a reset and a new session", async () => {
    const A = await loadAutomerge()
    let client = A.from<Note>({ text: 'client' })
    let server = A.init<Note>()
    let clientState = A.initSyncState()
    let serverState = A.initSyncState()
    const answers: boolean[] = []
    const check = (): void => {
      for (const [doc, state] of [[client, clientState], [server, serverState]] as const) {
        const expected = A.hasOurChanges(doc, state)
        expect(hasOurChanges(A, doc, state)).toBe(expected)
        answers.push(expected)
      }
    }
    const exchange = (): void => {
      for (let round = 0; round < 10; round++) {
        check()
        let message: Uint8Array | null
        let sent = false
        ;[clientState, message] = A.generateSyncMessage(client, clientState)
        if (message) {
          ;[server, serverState] = A.receiveSyncMessage(server, serverState, message)
          sent = true
        }
        check()
        ;[serverState, message] = A.generateSyncMessage(server, serverState)
        if (message) {
          ;[client, clientState] = A.receiveSyncMessage(client, clientState, message)
          sent = true
        }
        if (!sent) return
      }
    }
    exchange()
    client = A.change(client, (doc) => {
      doc.text = 'edited here'
    })
    exchange()
    // Concurrent changes: both sides end with two heads, in whatever order Automerge keeps them.
    client = A.change(client, (doc) => {
      doc.text = 'concurrent a'
    })
    server = A.change(server, (doc) => {
      doc.text = 'concurrent b'
    })
    exchange()
    expect(A.getHeads(client)).toHaveLength(2)
    // A new session: what is shared survives encoding, what was in flight does not.
    clientState = A.decodeSyncState(A.encodeSyncState(clientState))
    serverState = A.initSyncState()
    exchange()
    check()
    expect(hasOurChanges(A, A.init<Note>(), A.initSyncState())).toBe(true)
    // Both answers were seen, so the agreement above is not trivially all false or all true.
    expect(answers).toContain(true)
    expect(answers).toContain(false)
  })
})
