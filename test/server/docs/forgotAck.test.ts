import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import type { ServerMessage } from '../../../src/server/docs/protocol.js'
import type { PeerLink } from '../../../src/server/docs/syncedDocument.js'
import { docWith, syncedDocumentForTest } from './helpers.js'

/**
 * Found by the soak (seed 869858146, under load): a document client that was live and had
 * everything on the server still showed saved.server false, until one more edit. A peer whose
 * sync state forgot what the server has (a store opened again with a fresh sync state, a
 * reset) tells the server its heads with a `have` that does not cover them; the server, whose
 * own state says "in sync", had nothing to say, so the peer never learnt that the server has
 * its changes. It must answer with its heads.
 */
describe('a peer that forgot what the server has', () => {
  it('is told the server heads, so saved.server turns true without another edit', async () => {
    const document = syncedDocumentForTest(A.init())
    const inbox: ServerMessage[] = []
    const peer: PeerLink = { peerId: 'p', send: (message) => void inbox.push(message), sendError: () => {} }
    document.attach(peer)
    let doc = docWith({ n: 1 })
    let state = A.initSyncState()
    const talk = async (): Promise<void> => {
      for (let round = 0; round < 12; round++) {
        let data: Uint8Array | null
        ;[state, data] = A.generateSyncMessage(doc, state)
        if (data) document.receiveSync(peer, { type: 'sync', senderId: 'p', documentId: document.documentId, data })
        // Let a write (and its acknowledgement) happen.
        await document.flush()
        const received = inbox.splice(0)
        for (const message of received) if (message.type === 'sync') [doc, state] = A.receiveSyncMessage(doc, state, message.data)
        if (!data && received.length === 0) return
      }
    }
    await talk()
    expect(A.hasOurChanges(doc, state), 'acknowledged the first time').toBe(true)

    // The same peer, same socket, with a sync state that remembers nothing.
    state = A.initSyncState()
    await talk()
    expect(A.hasOurChanges(doc, state), 'acknowledged again after forgetting').toBe(true)
  })
})
