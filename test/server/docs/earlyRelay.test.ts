import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import type { ServerMessage } from '../../../src/server/docs/protocol.js'
import type { PeerLink, SyncedDocument } from '../../../src/server/docs/syncedDocument.js'
import { changesMessage, predictedHeads } from '../../../src/server/docs/earlyRelay.js'
import { markSent } from '../../../src/wire/syncStateMarks.js'
import { peek } from '../../../src/server/docs/syncPeek.js'
import { docWith, syncedDocumentForTest } from './helpers.js'

type Doc = A.Doc<Record<string, unknown>>

/** A client of a SyncedDocument in this process: it applies what the server sends and answers at once. */
class Client {
  doc: Doc
  sync = A.initSyncState()
  readonly inbox: ServerMessage[] = []
  /** The server's heads at the moment each of its sync messages to this client was sent. */
  readonly serverHeadsAtSend: A.Heads[] = []
  syncsReceived = 0
  readonly link: PeerLink

  constructor(readonly peerId: string, doc: Doc, server: () => SyncedDocument) {
    this.doc = doc
    this.link = {
      peerId,
      send: (message) => {
        if (message.type === 'sync') this.serverHeadsAtSend.push(server().heads)
        this.inbox.push(message)
      },
      sendError: (text) => {
        throw new Error(text)
      },
    }
  }

  /** Sends what Automerge says to send; false when nothing. */
  talk(document: SyncedDocument): boolean {
    const [sync, data] = A.generateSyncMessage(this.doc, this.sync)
    this.sync = sync
    if (!data) return false
    document.receiveSync(this.link, { type: 'sync', senderId: this.peerId, documentId: document.documentId, data })
    return true
  }

  /** Applies every message the server sent; true when there was one. */
  read(): boolean {
    const messages = this.inbox.splice(0)
    for (const message of messages) {
      if (message.type !== 'sync') continue
      this.syncsReceived++
      ;[this.doc, this.sync] = A.receiveSyncMessage(this.doc, this.sync, message.data)
    }
    return messages.length > 0
  }
}

function setup() {
  const base = docWith({ n: 0 })
  const document: SyncedDocument = syncedDocumentForTest(A.clone(base), {
    // No write finishes during a test: every change stays unacknowledged, so only readers hear the server's heads.
    saveDebounceMs: 60_000,
    maxSyncMessageBytes: 0,
  })
  const a = new Client('a', A.clone(base), () => document)
  const b = new Client('b', A.clone(base), () => document)
  document.attach(a.link)
  document.attach(b.link)
  const settle = (): void => {
    for (let round = 0; round < 20; round++) {
      const talked = [a.talk(document), b.talk(document)].some(Boolean)
      const read = [a.read(), b.read()].some(Boolean)
      if (!talked && !read) return
    }
    throw new Error('did not settle')
  }
  settle()
  return { document, a, b, settle }
}

describe('early relay: readers get a change before the server applies it', () => {
  it('sends the reader its message while the server still has its old heads', () => {
    const { document, a, b } = setup()
    const before = document.heads
    const syncsBefore = b.serverHeadsAtSend.length
    a.doc = A.change(a.doc, (doc) => {
      doc.n = 1
    })
    a.talk(document)
    // Applied by now, and B's message went out before that happened.
    expect(document.heads).toEqual(A.getHeads(a.doc))
    const atSend = b.serverHeadsAtSend.slice(syncsBefore)
    expect(atSend.length).toBe(1)
    expect(atSend[0]).toEqual(before)
    b.read()
    expect(b.doc.n).toBe(1)
    // The server advertised the heads it then had: B knows the server holds all it has.
    expect(A.hasOurChanges(b.doc, b.sync)).toBe(true)
  })

  it('sends each reader one message per change, also once the reader answers', () => {
    const { document, a, b, settle } = setup()
    for (let i = 1; i <= 5; i++) {
      const received = b.syncsReceived
      a.doc = A.change(a.doc, (doc) => {
        doc.n = i
      })
      settle()
      expect(b.doc.n).toBe(i)
      // The early message is recorded in B's sync state as sent: the server neither sends the change again nor a second message.
      expect(b.syncsReceived - received).toBe(1)
    }
    expect(A.getHeads(b.doc)).toEqual(document.heads)
  })

  it('waits for the apply when the author lacks a change the server has, and the reader still learns the right heads', () => {
    const { document, a, b, settle } = setup()
    // B changes first; A's next change crosses B's on the way (A has not received B's yet).
    b.doc = A.change(b.doc, (doc) => {
      doc.fromB = true
    })
    b.talk(document)
    // B's change, relayed to A, has not reached A yet.
    a.inbox.length = 0
    const lastSyncOfA = A.getHeads(a.doc)
    a.doc = A.change(a.doc, (doc) => {
      doc.n = 7
    })
    const [syncA, data] = A.generateSyncMessage(a.doc, a.sync)
    a.sync = syncA
    expect(peek(data!)!.lastSync).toEqual(lastSyncOfA)
    expect(predictedHeads(document.heads, peek(data!))).toBeNull()
    document.receiveSync(a.link, { type: 'sync', senderId: 'a', documentId: document.documentId, data: data! })
    settle()
    // (A waits for a write, which never runs inside this synchronous test, so only B is checked.)
    expect(b.doc.n).toBe(7)
    expect(A.getHeads(b.doc)).toEqual(document.heads)
  })
})

describe('earlyRelay helpers', () => {
  it('writes messages with the version and capabilities of generated ones (a v1 message makes the reader forget sync reset)', () => {
    let doc = A.from({ n: 0 })
    doc = A.change(doc, (d) => {
      d.n = 1
    })
    const message = A.decodeSyncMessage(changesMessage(A.getHeads(doc), [A.save(doc)])) as { type?: string; supportedCapabilities?: string[] }
    const [, generated] = A.generateSyncMessage(doc, A.initSyncState())
    const reference = A.decodeSyncMessage(generated!) as { type?: string; supportedCapabilities?: string[] }
    expect(message.type).toBe(reference.type)
    expect(message.supportedCapabilities).toEqual(reference.supportedCapabilities)
  })

  it('markSent leaves the sync state where generateSyncMessage would: nothing more to send until the peer answers', () => {
    let server = A.from({ n: 0 })
    let reader = A.clone(server)
    let toReader = A.initSyncState()
    let fromServer = A.initSyncState()
    for (let round = 0; round < 10; round++) {
      let data: Uint8Array | null
      ;[toReader, data] = A.generateSyncMessage(server, toReader)
      if (data) [reader, fromServer] = A.receiveSyncMessage(reader, fromServer, data)
      let reply: Uint8Array | null
      ;[fromServer, reply] = A.generateSyncMessage(reader, fromServer)
      if (reply) [server, toReader] = A.receiveSyncMessage(server, toReader, reply)
      if (!data && !reply) break
    }
    const since = A.getHeads(server)
    server = A.change(server, (d) => {
      d.n = 1
    })
    const heads = A.getHeads(server)
    const change = A.getChangesSince(server, since)
    ;[reader, fromServer] = A.receiveSyncMessage(reader, fromServer, changesMessage(heads, change))
    toReader = markSent(toReader, heads, heads)
    expect(A.generateSyncMessage(server, toReader)[1]).toBeNull()
    const [, reply] = A.generateSyncMessage(reader, fromServer)
    ;[server, toReader] = A.receiveSyncMessage(server, toReader, reply!)
    expect(A.generateSyncMessage(server, toReader)[1]).toBeNull()
    expect(reader.n).toBe(1)
  })
})
