import { describe, expect, it } from 'vitest'
import type { Doc } from '../../../src/core/docs/automerge.js'
import { loadAutomerge } from '../../../src/core/docs/automerge.js'
import type { DocLink } from '../../../src/core/docs/docLink.js'
import type { DocEvent } from '../../../src/core/docs/sessionPort.js'
import { DocSynchronizer } from '../../../src/core/docs/docSynchronizer.js'

type Note = { text: string }

/**
 * A DocSynchronizer alone: its document is a variable, its "server" another Automerge
 * document that answers every message, and its link a session whose sends are kept.
 */
async function setUp(serverText: string | null) {
  const A = await loadAutomerge()
  const engine = { ...(await import('../../../src/core/docs/docEngine.js')), A }
  let serverDoc = serverText === null ? A.init<Note>() : A.from<Note>({ text: serverText })
  let serverState = A.initSyncState()
  const sent: Array<{ type: string; data: Uint8Array }> = []
  const events: DocEvent['type'][] = []
  let connected = false
  const link: DocLink = {
    context: { peerId: 'me', cache: undefined, compaction: undefined, engine: async () => engine, engineIfLoaded: () => engine, engineArrived: async () => engine, ignored: () => {} },
    session: () => (connected ? { id: 1, send: (message) => (message.type !== 'ephemeral' && sent.push(message), true) } : null),
    report: (event) => void events.push(event.type),
  }
  let doc: Doc<Note> = A.init<Note>()
  const received: Array<{ serverHasOurs: boolean; roundDone: boolean }> = []
  const sync = new DocSynchronizer<Note>(link, {
    documentId: 'doc',
    url: 'automerge:doc',
    doc: () => doc,
    received: (next, serverHasOurs, roundDone) => {
      doc = next
      received.push({ serverHasOurs, roundDone })
    },
    unavailable: () => {},
    failed: () => {},
  })
  /** The server answers what was sent since the last call; returns its replies. */
  const serverReplies = (): Uint8Array[] => {
    const replies: Uint8Array[] = []
    for (const message of sent.splice(0)) {
      ;[serverDoc, serverState] = A.receiveSyncMessage(serverDoc, serverState, message.data)
      const [state, reply] = A.generateSyncMessage(serverDoc, serverState)
      serverState = state
      if (reply) replies.push(reply)
    }
    return replies
  }
  return { A, sync, sent, events, received, serverReplies, connect: () => (connected = true), doc: () => doc, setDoc: (next: Doc<Note>) => (doc = next) }
}

/** Rounds until the server has nothing more to say. */
function converge(t: Awaited<ReturnType<typeof setUp>>): void {
  for (let round = 0; round < 20; round++) {
    const replies = t.serverReplies()
    if (replies.length === 0) return
    for (const data of replies) t.sync.receive(data)
  }
}

describe('DocSynchronizer', () => {
  it('keeps a server message that arrives before the document has loaded, and applies it on ready()', async () => {
    const t = await setUp('from the server')
    t.connect()
    const [, hello] = t.A.generateSyncMessage(t.A.from<Note>({ text: 'from the server' }), t.A.initSyncState())
    t.sync.receive(hello!)
    t.sync.syncNow()
    expect(t.received).toEqual([])
    expect(t.sent).toEqual([])
    t.sync.start(t.A)
    expect(t.received).toEqual([])
    t.sync.ready()
    expect(t.received).toHaveLength(1)
  })

  it('asks for a document it does not have, receives it, and reports the end of the first round once', async () => {
    const t = await setUp('from the server')
    t.connect()
    t.sync.start(t.A)
    t.sync.ready()
    t.sync.syncNow()
    expect(t.sent.map((message) => message.type)).toEqual(['request'])
    converge(t)
    expect(t.doc().text).toBe('from the server')
    expect(t.events.filter((type) => type === 'round-done')).toHaveLength(1)
    expect(t.sync.caughtUp).toBe(true)
    expect(t.received.at(-1)).toMatchObject({ serverHasOurs: true })
  })

  it('sends the changes of one task in one message, and nothing once stopped', async () => {
    const t = await setUp(null)
    t.connect()
    t.setDoc(t.A.from<Note>({ text: 'a' }))
    t.sync.start(t.A)
    t.sync.ready()
    t.sync.syncNow()
    converge(t)
    expect(t.sent).toEqual([])
    t.setDoc(t.A.change(t.doc(), (d) => void (d.text = 'b')))
    t.sync.scheduleSend()
    t.setDoc(t.A.change(t.doc(), (d) => void (d.text = 'c')))
    t.sync.scheduleSend()
    expect(t.sent).toHaveLength(0)
    await Promise.resolve()
    expect(t.sent).toHaveLength(1)
    converge(t)
    t.setDoc(t.A.change(t.doc(), (d) => void (d.text = 'd')))
    t.sync.scheduleSend()
    t.sync.stop()
    // stop() sends what was scheduled, then nothing more.
    const afterStop = t.sent.length
    expect(afterStop).toBe(1)
    t.setDoc(t.A.change(t.doc(), (d) => void (d.text = 'e')))
    t.sync.scheduleSend()
    await Promise.resolve()
    t.sync.connected()
    expect(t.sent).toHaveLength(afterStop)
  })

  it('sends the first change of a task at once, the later ones after it together, and every change exactly once', async () => {
    const t = await setUp(null)
    const { A } = t
    t.connect()
    // A history long enough that Automerge sends changes, not the whole document.
    let start = A.from<Note>({ text: 'a' })
    for (let i = 0; i < 40; i++) start = A.change(start, (d) => void (d.text = `a${i}`))
    t.setDoc(start)
    t.sync.start(A)
    t.sync.ready()
    t.sync.syncNow()
    await settle(t)
    const sentHashes = (): string[] => t.sent.flatMap((message) => A.decodeSyncMessage(message.data).changes.flatMap((chunk) => chunkHashes(A, chunk)))
    const made: string[] = []
    const change = (text: string): void => {
      const previous = A.getHeads(t.doc())
      t.setDoc(A.change(t.doc(), (d) => void (d.text = text)))
      const heads = A.getHeads(t.doc())
      made.push(heads[0]!)
      t.sync.changed(t.doc(), previous, heads)
    }
    const all: string[] = []
    for (const round of [['b'], ['c', 'd', 'e'], ['f', 'g']]) {
      for (const text of round) change(text)
      // The first one is out before the task ends (and before the store's listeners run).
      expect(sentHashes()).toEqual([made[made.length - round.length]])
      await Promise.resolve()
      all.push(...sentHashes())
      await settle(t, all, sentHashes)
      expect(t.doc().text).toBe(round.at(-1))
    }
    expect(all.sort()).toEqual([...made].sort())
    expect(t.received.at(-1)).toMatchObject({ serverHasOurs: true })
  })

  it('sends a change the usual way when building its message at once throws, and does not throw out of changed()', async () => {
    const t = await setUp(null)
    const { A } = t
    t.connect()
    t.setDoc(A.from<Note>({ text: 'a' }))
    const refusing = { ...A, getLastLocalChange: () => { throw new Error('refused') } } as typeof A
    t.sync.start(refusing)
    t.sync.ready()
    t.sync.syncNow()
    await settle(t)
    const previous = A.getHeads(t.doc())
    t.setDoc(A.change(t.doc(), (d) => void (d.text = 'b')))
    expect(() => t.sync.changed(t.doc(), previous, A.getHeads(t.doc()))).not.toThrow()
    expect(t.sent).toHaveLength(0)
    await Promise.resolve()
    expect(t.sent).toHaveLength(1)
    await settle(t)
    expect(t.received.at(-1)).toMatchObject({ serverHasOurs: true })
  })
})

/** Rounds (and the replies they schedule) until neither side has more to say; what was sent goes through `seen`. */
async function settle(t: Awaited<ReturnType<typeof setUp>>, seen?: string[], hashes?: () => string[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const replies = t.serverReplies()
    for (const data of replies) t.sync.receive(data)
    await Promise.resolve()
    if (seen && hashes) seen.push(...hashes())
    if (replies.length === 0 && t.sent.length === 0) return
  }
}

/**
 * The hashes of the changes in one entry of a sync message's `changes`: Automerge 3 writes
 * change chunks back to back, or a document chunk (header: magic, checksum, type, LEB128 length).
 */
function chunkHashes(A: Awaited<ReturnType<typeof loadAutomerge>>, bytes: Uint8Array): string[] {
  const CHANGE_CHUNK = 1
  const hashes: string[] = []
  for (let offset = 0; offset < bytes.length; ) {
    let length = 0
    let at = offset + 9
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!
      length += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) break
    }
    const chunk = bytes.subarray(offset, at + length)
    if (chunk[8] === CHANGE_CHUNK) hashes.push(A.decodeChange(chunk).hash!)
    else hashes.push(...A.getChangesMetaSince(A.load(chunk, { allowMissingChanges: true }), []).map((change) => change.hash))
    offset = at + length
  }
  return hashes
}
