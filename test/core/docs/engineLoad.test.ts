import { afterEach, describe, expect, it } from 'vitest'
import { generateDocumentId } from '../../../src/core/docs/documentId.js'
import type { Frame } from './helpers.js'
import { answerJoin, closeAll, connect, rawServer, until } from './helpers.js'

afterEach(closeAll)

type Notes = { notes: string[] }

const documentFrames = (frames: Frame[]) => frames.filter((frame) => frame.type === 'sync' || frame.type === 'request')

/** The document code (docEngine.ts) loads with Automerge; here its chunk fails to arrive until `arrive()`. */
function flakyDocumentCode() {
  let failing = true
  let loads = 0
  return {
    load: () => {
      loads++
      return failing ? Promise.reject(new TypeError('Failed to fetch dynamically imported module')) : import('../../../src/core/docs/docEngine.js')
    },
    arrive: () => void (failing = false),
    loads: () => loads,
  }
}

describe('the document code loads with Automerge', () => {
  it('a chunk that fails to arrive: a typed network error and reconnecting, then the documents load when it comes', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const code = flakyDocumentCode()
    const connection = connect(server.url, { closeTimeoutMs: 10 }, { loadDocumentCode: code.load })
    const created = connection.create<Notes>({ notes: ['kept'] })
    const opened = connection.open<Notes>(generateDocumentId())
    await until(() => opened.getSnapshot().error !== null, 'the store error')
    expect(opened.getSnapshot()).toMatchObject({ status: 'loading', error: { code: 'network' } })
    expect(created.getSnapshot()).toMatchObject({ status: 'loading', error: { code: 'network' } })
    await until(() => connection.getSnapshot().status === 'reconnecting', 'reconnecting')
    expect(connection.getSnapshot().error?.code).toBe('network')
    // No socket is opened while the code is missing.
    expect(server.frames).toEqual([])
    const failedLoads = code.loads()
    code.arrive()
    await until(() => created.getSnapshot().status === 'ready', 'the created document')
    expect(code.loads()).toBeGreaterThan(failedLoads)
    expect(created.getSnapshot()).toMatchObject({ doc: { notes: ['kept'] }, error: null })
    const sent = await until(() => {
      const frames = documentFrames(server.frames)
      return frames.length === 2 ? frames : undefined
    }, 'both documents sent')
    expect(sent.map((frame) => [frame.documentId, frame.type]).sort()).toEqual(
      [
        [created.documentId, 'sync'],
        [opened.documentId, 'request'],
      ].sort(),
    )
    expect(opened.getSnapshot()).toMatchObject({ status: 'loading', error: null })
  })
})
