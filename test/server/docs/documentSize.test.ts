import { deflateRawSync } from 'node:zlib'
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

/**
 * The same change as a compressed change chunk (type 2: DEFLATE of the body), which Automerge
 * accepts from any peer: the shape of the review's 97 KB message that expanded a hundredfold.
 */
function compressChange(change: Uint8Array): Uint8Array {
  let headerEnd = 9 // magic (4), checksum (4), chunk type (1), then the LEB128 length
  while (change[headerEnd]! & 0x80) headerEnd++
  const deflated = deflateRawSync(change.subarray(headerEnd + 1))
  const length: number[] = []
  for (let rest = deflated.length; ; ) {
    const low = rest & 0x7f
    rest >>>= 7
    length.push(rest > 0 ? low | 0x80 : low)
    if (rest === 0) break
  }
  return new Uint8Array([...change.subarray(0, 8), 2, ...length, ...deflated])
}

/** A sync message from `from` that carries exactly `changes` (built from a real exchange, its changes swapped). */
function syncMessageCarrying(base: A.Doc<unknown>, grown: A.Doc<unknown>, changes: Uint8Array[]): Uint8Array {
  let ours = grown
  let theirs = A.clone(base)
  let ourState = A.initSyncState()
  let theirState = A.initSyncState()
  for (let round = 0; round < 8; round++) {
    const [nextOurs, message] = A.generateSyncMessage(ours, ourState)
    ourState = nextOurs
    if (message && A.decodeSyncMessage(message).changes.length > 0) return A.encodeSyncMessage({ ...A.decodeSyncMessage(message), changes })
    if (message) [theirs, theirState] = A.receiveSyncMessage(theirs, theirState, message)
    const [nextTheirs, reply] = A.generateSyncMessage(theirs, theirState)
    theirState = nextTheirs
    if (reply) [ours, ourState] = A.receiveSyncMessage(ours, ourState, reply)
  }
  throw new Error('the exchange never carried changes')
}

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

  it('refuses a compressed change of a few kilobytes that expands past the limit (the review\'s bomb)', async () => {
    const { server, documentId, author, listener } = await setup()
    const base = author.docs.get(documentId)!.doc
    const grown = A.change(A.clone(base), (doc) => {
      doc.body = bigText()
    })
    const [change] = A.getChanges(base, grown)
    const data = syncMessageCarrying(base, grown, [compressChange(change!)])
    expect(data.byteLength).toBeLessThan(4096)
    author.sendDoc('sync', documentId, { data })
    const error = await author.waitFor((m) => m.type === 'error')
    expect(String(error.message)).toMatch(/past the server's limit/)
    const later = await RawPeer.connect(server.url)
    later.open(documentId)
    await until(() => later.doc(documentId)?.title === 'small', 3000, 'a later client to load the document')
    expect(later.doc(documentId)).toEqual({ title: 'small' })
    expect(listener.doc(documentId)).toEqual({ title: 'small' })
    expect(await stored(server.storage, documentId)).toEqual({ title: 'small' })
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

describe('stored documents', () => {
  it('loads a document stored as many whole saves (postgresStorage between compactions) by its largest, not their sum', async () => {
    const server = await startDocServer({ maxDocumentBytes: LIMIT })
    const documentId = newDocumentId()
    let doc = A.from<Record<string, unknown>>({ body: 'z'.repeat(30_000) })
    const saves: Uint8Array[] = []
    for (let i = 0; i < 16; i++) {
      doc = A.change(doc, (d) => {
        d.version = i
      })
      saves.push(A.save(doc))
    }
    // Each save is well under the limit; the sixteen together would be well over it.
    expect(measureChunks(saves.at(-1)!, LIMIT)).toBeLessThan(LIMIT / 4)
    expect(() => measureChunks(new Uint8Array(Buffer.concat(saves)), LIMIT)).toThrow(TooLargeError)
    await server.storage.saveDoc(documentId, new Uint8Array(Buffer.concat(saves)))
    const reader = await RawPeer.connect(server.url)
    reader.open(documentId)
    await until(() => reader.doc(documentId)?.version === 15, 3000, 'the reader to load the document')
    expect(reader.messages.some((m) => m.type === 'error')).toBe(false)
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

  it('measures a compressed change chunk by what it inflates to', () => {
    const base = A.from({ title: 'x' })
    const grown = A.change(base, (doc: Record<string, unknown>) => {
      doc.body = 'y'.repeat(5000)
    })
    const [change] = A.getChanges(base, grown)
    const compressed = compressChange(change!)
    expect(compressed.byteLength).toBeLessThan(change!.byteLength / 10)
    expect(measureChunks(compressed, LIMIT)).toBe(measureChunks(change!, LIMIT))
    // Automerge itself accepts the compressed form, so a peer may send it.
    expect(A.toJS(A.loadIncremental(A.clone(base), compressed))).toEqual({ title: 'x', body: 'y'.repeat(5000) })
  })

  it('refuses bytes that are not Automerge chunks', () => {
    expect(() => measureChunks(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), LIMIT)).toThrow(/not an Automerge chunk/)
  })
})
