import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryDocStorage } from '../../../src/server/docs/index.js'
import type { DocStorage } from '../../../src/server/docs/index.js'
import type { Message } from './helpers.js'
import { closeAll, docWith, newDocumentId, RawPeer, startDocServer, until } from './helpers.js'

afterEach(closeAll)

/** Memory storage whose writes can be held until `release()`. */
function gatedStorage(): { storage: DocStorage; hold: () => void; release: () => void } {
  const inner = memoryDocStorage()
  let gate: Promise<void> | null = null
  let open: () => void = () => {}
  return {
    storage: {
      loadDoc: (documentId) => inner.loadDoc(documentId),
      async saveDoc(documentId, binary) {
        await gate
        return inner.saveDoc(documentId, binary)
      },
    },
    hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    release: () => {
      gate = null
      open()
    },
  }
}

type Doc = Record<string, unknown>

/**
 * Found by the soak (seed 1149482036, the file-storage world): the server's reply to a change
 * waits for the disk. If the peer meanwhile answers a relay that crossed its change on the
 * wire — saying it has everything the server has — Automerge on the server finds nothing left
 * to say once the write is done, and the peer never learns that the server has its change:
 * `saved.server` stayed false until the next edit.
 */
describe('the acknowledgement of a change', () => {
  it('reaches the peer even when the peer has answered a crossing relay before the write finished', async () => {
    const { storage, hold, release } = gatedStorage()
    const server = await startDocServer({ storage, saveDebounceMs: 10 })
    const documentId = newDocumentId()
    const a = await RawPeer.connect(server.url)
    a.open(documentId, docWith({ n: 0 }))
    await until(() => a.acknowledged(documentId), 3000, 'a to be acknowledged')

    // b is driven by hand, so that its change and the server's relay can cross.
    const b = await RawPeer.connect(server.url)
    let bDoc = A.init<Doc>()
    let bState = A.initSyncState()
    let handled = 0
    const sendB = (): void => {
      const [state, data] = A.generateSyncMessage(bDoc, bState)
      bState = state
      if (data) b.sendDoc('sync', documentId, { data })
    }
    const syncs = (): Message[] => b.messages.filter((message) => message.type === 'sync' && message.documentId === documentId)
    const handleNext = (): void => {
      const message = syncs()[handled++]!
      ;[bDoc, bState] = A.receiveSyncMessage(bDoc, bState, message.data as Uint8Array)
      sendB()
    }
    const [state, data] = A.generateSyncMessage(bDoc, bState)
    bState = state
    b.sendDoc('request', documentId, { data })
    await until(async () => {
      while (handled < syncs().length) handleNext()
      await new Promise((resolve) => setTimeout(resolve, 20))
      return bDoc.n === 0 && A.hasOurChanges(bDoc, bState) && handled === syncs().length
    }, 3000, 'b to load the document')

    hold()
    a.change(documentId, (doc) => void (doc.fromA = true))
    // The relay of a's change is on its way to b...
    await until(() => syncs().length > handled, 3000, 'the relay of a\'s change to b')
    // ...while b's own change, made before b has read it, goes to the server.
    bDoc = A.change(bDoc, (doc) => void (doc.fromB = true))
    sendB()
    // b now reads the relay and answers: it has everything the server has.
    handleNext()
    await new Promise((resolve) => setTimeout(resolve, 100))
    release()

    await until(async () => {
      while (handled < syncs().length) handleNext()
      await new Promise((resolve) => setTimeout(resolve, 20))
      return A.hasOurChanges(bDoc, bState)
    }, 3000, 'the server to acknowledge b\'s change')
    expect(A.toJS(bDoc)).toEqual({ n: 0, fromA: true, fromB: true })
  })
})
