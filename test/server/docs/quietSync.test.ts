import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { surelyQuiet } from '../../../src/server/docs/quietSync.js'

type Doc = A.Doc<Record<string, number>>

/** A seeded pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

describe('surelyQuiet', () => {
  it('never says quiet when generateSyncMessage would send, over random syncs with concurrent edits and lost messages', () => {
    let quietSaid = 0
    let checks = 0
    for (let seed = 1; seed <= 8; seed++) {
      const next = random(seed)
      // A hub (the server) and three peers, each with its own sync state on the hub and back.
      let hub: Doc = A.init()
      const peers: Doc[] = [A.from({ p0: 0 }), A.init(), A.init()]
      const hubStates = peers.map(() => A.initSyncState())
      const peerStates = peers.map(() => A.initSyncState())
      const toHub: Array<{ from: number; data: Uint8Array }> = []
      const toPeer: Array<{ to: number; data: Uint8Array }> = []
      const hubSays = (peer: number): void => {
        checks++
        const quiet = surelyQuiet(hubStates[peer]!, A.getHeads(hub))
        const [state, data] = A.generateSyncMessage(hub, hubStates[peer]!)
        hubStates[peer] = state
        if (quiet) {
          quietSaid++
          expect(data).toBeNull()
        }
        if (data && next() > 0.05) toPeer.push({ to: peer, data })
      }
      for (let step = 0; step < 200; step++) {
        const roll = next()
        const peer = Math.floor(next() * peers.length)
        if (roll < 0.2) {
          peers[peer] = A.change(peers[peer]!, (doc) => {
            doc[`p${peer}`] = step
          })
        } else if (roll < 0.4) {
          const [state, data] = A.generateSyncMessage(peers[peer]!, peerStates[peer]!)
          peerStates[peer] = state
          if (data) toHub.push({ from: peer, data })
        } else if (roll < 0.65 && toHub.length > 0) {
          const { from, data } = toHub.splice(Math.floor(next() * toHub.length), 1)[0]!
          ;[hub, hubStates[from]] = A.receiveSyncMessage(hub, hubStates[from]!, data)
          for (let other = 0; other < peers.length; other++) hubSays(other)
          hubSays(from)
        } else if (roll < 0.9 && toPeer.length > 0) {
          const { to, data } = toPeer.splice(Math.floor(next() * toPeer.length), 1)[0]!
          ;[peers[to], peerStates[to]] = A.receiveSyncMessage(peers[to]!, peerStates[to]!, data)
        } else if (roll < 0.95) {
          // A reconnect on one side: fresh sync states, as after a dropped socket.
          hubStates[peer] = A.initSyncState()
          peerStates[peer] = A.initSyncState()
        } else {
          hubSays(peer)
        }
      }
    }
    // Not vacuous: most of the hub's calls are ones it can skip.
    expect(quietSaid).toBeGreaterThan(checks / 3)
  })

  it('says nothing for certain about a fresh sync state, or when the document moved on', () => {
    const doc = A.from({ a: 1 })
    expect(surelyQuiet(A.initSyncState(), A.getHeads(doc))).toBe(false)
    const [sent] = A.generateSyncMessage(doc, A.initSyncState())
    expect(surelyQuiet(sent, A.getHeads(doc))).toBe(true)
    const later = A.change(A.clone(doc), (d) => {
      d.a = 2
    })
    expect(surelyQuiet(sent, A.getHeads(later))).toBe(false)
  })
})
