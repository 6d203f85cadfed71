import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { measureChunks, TooLargeError } from '../../../src/server/docs/changeSize.js'
import { closeAll, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'

/**
 * Security review, issue 13 item 3: a 97 KB sync message holding a 100-million-character
 * string grew server memory by ~400 MB per document, because maxMessageBytes bounds the frame,
 * not what Automerge expands it into. `maxDocumentBytes` bounds the estimated loaded size.
 */
afterEach(closeAll)

const LIMIT = 1024 * 1024
/** 300,000 characters of text: 300 KB of values, but 300,000 operations (over 1 MiB estimated). */
const bigText = (): string => 'x'.repeat(300_000)

async function setup() {
  const server = await startDocServer({ maxDocumentBytes: LIMIT })
  const documentId = newDocumentId()
  const author = await RawPeer.connect(server.url)
  author.open(documentId, docWith({ title: 'small' }))
  await until(async () => (await stored(server.storage, documentId))?.title === 'small', 3000, 'the document to be stored')
  const listener = await RawPeer.connect(server.url)
  listener.open(documentId)
  await until(() => listener.doc(documentId)?.title === 'small', 3000, 'the listener to load the document')
  return { server, documentId, author, listener }
}

describe('maxDocumentBytes', () => {
  it.each<[string, (doc: Record<string, unknown>) => void]>([
    ['a long text (many operations)', (doc) => void (doc.body = bigText())],
    ['a long scalar string (many value bytes)', (doc) => void (doc.body = new A.RawString('y'.repeat(LIMIT + 1)))],
  ])('refuses a change that adds %s: an error to its author, not applied, stored nor relayed', async (_name, edit) => {
    const { server, documentId, author, listener } = await setup()
    author.change(documentId, edit)
    const error = await author.waitFor((m) => m.type === 'error')
    expect(String(error.message)).toMatch(/past the server's limit of 1048576 bytes/)
    // Another client's ordinary change still goes through, and the refused one is nowhere.
    const other = await RawPeer.connect(server.url)
    other.open(documentId)
    await until(() => other.doc(documentId)?.title === 'small', 3000, 'another client to load the document')
    other.change(documentId, (doc) => {
      doc.title = 'edited'
    })
    await until(() => listener.doc(documentId)?.title === 'edited', 3000, 'the listener to get the ordinary change')
    await until(async () => (await stored(server.storage, documentId))?.title === 'edited', 3000, 'the ordinary change to be stored')
    expect(await stored(server.storage, documentId)).toEqual({ title: 'edited' })
    expect(listener.doc(documentId)).toEqual({ title: 'edited' })
    expect(other.doc(documentId)).toEqual({ title: 'edited' })
  })

  it('refuses a new document that is too large from its first sync, and stores nothing', async () => {
    const server = await startDocServer({ maxDocumentBytes: LIMIT })
    const documentId = newDocumentId()
    const author = await RawPeer.connect(server.url)
    author.open(documentId, docWith({ body: bigText() }))
    const error = await author.waitFor((m) => m.type === 'error')
    expect(String(error.message)).toMatch(/past the server's limit/)
    const reader = await RawPeer.connect(server.url)
    reader.open(documentId)
    await reader.waitFor((m) => m.type === 'doc-unavailable')
    expect(await server.storage.loadDoc(documentId)).toBeUndefined()
  })

  it('accepts changes that stay under the limit', async () => {
    const { server, documentId, author, listener } = await setup()
    author.change(documentId, (doc) => {
      doc.body = 'z'.repeat(50_000)
    })
    await until(() => listener.doc(documentId)?.body !== undefined, 3000, 'the listener to get the body')
    await until(async () => (await stored(server.storage, documentId))?.body !== undefined, 3000, 'the body to be stored')
    expect(author.messages.some((m) => m.type === 'error')).toBe(false)
  })

  it('does not load a stored document past the limit, and leaves it in storage', async () => {
    const server = await startDocServer({ maxDocumentBytes: LIMIT })
    const documentId = newDocumentId()
    const binary = A.save(A.from({ body: bigText() }))
    // The stored binary is small (its columns are compressed); what it expands to is not.
    expect(binary.byteLength).toBeLessThan(LIMIT / 10)
    await server.storage.saveDoc(documentId, binary)
    const reader = await RawPeer.connect(server.url)
    reader.open(documentId)
    const error = await reader.waitFor((m) => m.type === 'error')
    expect(String(error.message)).toMatch(/could not be loaded/)
    expect(server.errors.some((e) => /larger than the limit/.test(String(e)))).toBe(true)
    expect(await server.storage.loadDoc(documentId)).toEqual(binary)
  })
})

describe('measureChunks', () => {
  it('counts the operations run-length encoding hides, and stops at the budget', () => {
    const base = A.from({ title: 'x' })
    const grown = A.change(base, (doc: Record<string, unknown>) => {
      doc.body = bigText()
    })
    const [change] = A.getChanges(base, grown)
    expect(change!.byteLength).toBeLessThan(400_000)
    expect(measureChunks(change!, 10 * LIMIT)).toBeGreaterThan(4 * 300_000)
    expect(() => measureChunks(change!, LIMIT)).toThrow(TooLargeError)
    const saved = A.save(grown)
    expect(measureChunks(saved, 10 * LIMIT)).toBeGreaterThan(4 * 300_000)
  })

  it('refuses bytes that are not Automerge chunks', () => {
    expect(() => measureChunks(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), LIMIT)).toThrow(/not an Automerge chunk/)
  })
})
