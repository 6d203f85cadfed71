import { describe, expect, it } from 'vitest'
import type { Automerge, Doc, SyncState } from '../../../src/core/docs/automerge.js'
import { loadAutomerge } from '../../../src/core/docs/automerge.js'
import type { DocSync } from '../../../src/core/docs/docSync.js'
import { bloomFilter, localChangeMessage } from '../../../src/core/docs/earlySend.js'

type Counter = { n: number }

/** A client document and a server document that have synced until neither has more to say. */
async function inSync() {
  const A = await loadAutomerge()
  let client: Doc<Counter> = A.from<Counter>({ n: 0 })
  let server: Doc<Counter> = A.init<Counter>()
  let clientState = A.initSyncState()
  let serverState = A.initSyncState()
  for (let round = 0; round < 10; round++) {
    let message: Uint8Array | null
    ;[clientState, message] = A.generateSyncMessage(client, clientState)
    if (message) [server, serverState] = A.receiveSyncMessage(server, serverState, message)
    let reply: Uint8Array | null
    ;[serverState, reply] = A.generateSyncMessage(server, serverState)
    if (reply) [client, clientState] = A.receiveSyncMessage(client, clientState, reply)
    if (!message && !reply) break
  }
  return { A, client, server, clientState, serverState }
}

const syncOf = (state: SyncState, roundDone = true): DocSync => ({ session: 1, state, requested: false, roundDone })

/** A change on `doc`: the document after it and the heads before and after. */
function changeOf(A: Automerge, doc: Doc<Counter>, n: number) {
  const previous = A.getHeads(doc)
  const next = A.change(doc, (d) => void (d.n = n))
  return { doc: next, previous, heads: A.getHeads(next) }
}

function changeHashes(A: Automerge, message: Uint8Array): string[] {
  return A.decodeSyncMessage(message).changes.map((change) => A.decodeChange(change).hash!)
}

describe('bloomFilter', () => {
  it("is byte for byte Automerge's filter of the changes since the shared heads", async () => {
    for (const count of [1, 2, 3, 7, 13, 40, 130]) {
      const { A, client, clientState } = await inSync()
      const shared = A.getHeads(client)
      let doc = client
      for (let i = 1; i <= count; i++) doc = A.change(doc, (d) => void (d.n = i))
      const [, message] = A.generateSyncMessage(doc, clientState)
      const generated = A.decodeSyncMessage(message!).have[0]!.bloom
      const hashes = A.getChangesMetaSince(doc, shared).map((change) => change.hash)
      expect(bloomFilter(hashes), `${count} changes`).toEqual(generated)
    }
  })
})

describe('localChangeMessage', () => {
  it('builds the message generateSyncMessage would send for a lone change, and leaves the sync state as it would', async () => {
    const { A, client, clientState: settled } = await inSync()
    const { doc, previous, heads } = changeOf(A, client, 1)
    // In flight or not: Automerge sends a change whatever is in flight.
    for (const inFlight of [false, true]) {
      const clientState = { ...settled, inFlight } as SyncState
      const early = localChangeMessage(A, doc, syncOf(clientState), previous, heads)
      expect(early).not.toBeNull()
      const [sync, message] = early!
      const [generatedState, generated] = A.generateSyncMessage(doc, clientState)
      expect(message.type).toBe('sync')
      // Automerge 3 writes a small document's changes as one document chunk; ours is the change
      // chunk itself, which every Automerge reads. Everything else is the same.
      const { changes, ...rest } = A.decodeSyncMessage(message.data)
      const { changes: generatedChanges, ...generatedRest } = A.decodeSyncMessage(generated!)
      expect(rest).toEqual(generatedRest)
      expect(changes).toEqual([A.getLastLocalChange(doc)])
      expect(generatedChanges).toHaveLength(1)
      expect(A.decodeChange(changes[0]!).hash).toBe(heads[0])
      const state = sync.state as unknown as Record<string, unknown>
      const expected = generatedState as unknown as Record<string, unknown>
      for (const field of ['sharedHeads', 'lastSentHeads', 'theirHeads', 'theirNeed', 'inFlight', 'haveResponded']) expect(state[field], field).toEqual(expected[field])
      // Sent once: generating now sends nothing more, as after the generated message.
      expect(A.generateSyncMessage(doc, sync.state)[1]).toBeNull()
    }
  })

  it('sends the change after a server message with an empty have, where generateSyncMessage sends only heads', async () => {
    const { A, client, clientState } = await inSync()
    // What syncline's server leaves a reader with after relaying early (earlyRelay.ts).
    const afterEarlyRelay = { ...clientState, theirHave: [] } as unknown as SyncState
    const { doc, previous, heads } = changeOf(A, client, 1)
    expect(A.decodeSyncMessage(A.generateSyncMessage(doc, afterEarlyRelay)[1]!).changes).toEqual([])
    const early = localChangeMessage(A, doc, syncOf(afterEarlyRelay), previous, heads)
    expect(changeHashes(A, early![1].data)).toEqual(heads)
  })

  it('leaves every other state to generateSyncMessage', async () => {
    const { A, client, clientState } = await inSync()
    const { doc, previous, heads } = changeOf(A, client, 1)
    const state = clientState as unknown as Record<string, unknown>
    const variant = (fields: Record<string, unknown>) => syncOf({ ...state, ...fields } as unknown as SyncState)
    const cases: Array<[string, DocSync]> = [
      ['first round not done', syncOf(clientState, false)],
      ['the server needs something', variant({ theirNeed: [previous[0]] })],
      ['the server has heads we lack', variant({ theirHeads: ['00'.repeat(32)] })],
      ['the server lacks a change of ours', variant({ sharedHeads: [] })],
      ['a peer without message-v2', variant({ theirCapabilities: [] })],
      ['a have Automerge would answer with a reset', variant({ theirHave: [{ lastSync: ['11'.repeat(32)], bloom: new Uint8Array(0) }] })],
      ['read-only', variant({ readOnly: true })],
    ]
    for (const [what, sync] of cases) expect(localChangeMessage(A, doc, sync, previous, heads) === null, what).toBe(true)
  })

  it('keeps the protocol going: the server applies the change once and both sides end in sync', async () => {
    const start = await inSync()
    const { A } = start
    let { client, server, clientState, serverState } = start
    for (let n = 1; n <= 5; n++) {
      const { doc, previous, heads } = changeOf(A, client, n)
      client = doc
      const [sync, message] = localChangeMessage(A, doc, syncOf(clientState), previous, heads)!
      clientState = sync.state
      const sent = changeHashes(A, message.data)
      let resent = 0
      ;[server, serverState] = A.receiveSyncMessage(server, serverState, message.data)
      for (let round = 0; round < 10; round++) {
        let reply: Uint8Array | null
        ;[serverState, reply] = A.generateSyncMessage(server, serverState)
        if (reply) [client, clientState] = A.receiveSyncMessage(client, clientState, reply)
        let next: Uint8Array | null
        ;[clientState, next] = A.generateSyncMessage(client, clientState)
        if (next) {
          resent += A.decodeSyncMessage(next).changes.length
          ;[server, serverState] = A.receiveSyncMessage(server, serverState, next)
        }
        if (!reply && !next) break
      }
      expect(sent).toEqual(heads)
      expect(resent).toBe(0)
      expect(A.getHeads(server)).toEqual(heads)
      expect(server.n).toBe(n)
    }
  })
})
