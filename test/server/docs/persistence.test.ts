import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryDocStorage } from '../../../src/server/docs/index.js'
import type { DocStorage } from '../../../src/server/docs/index.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'

const dirs: string[] = []

afterEach(async () => {
  await closeAll()
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** The smallest honest file storage: one file per document, replaced by rename. */
async function fileDocStorage(): Promise<DocStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'syncline-docs-'))
  dirs.push(dir)
  // Ids reaching storage are checked bs58check strings, so they are safe file names.
  const file = (documentId: string): string => join(dir, `${documentId}.automerge`)
  return {
    async loadDoc(documentId) {
      try {
        return new Uint8Array(await readFile(file(documentId)))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    async saveDoc(documentId, binary) {
      await writeFile(`${file(documentId)}.tmp`, binary)
      await rename(`${file(documentId)}.tmp`, file(documentId))
    },
  }
}

/** Wraps a storage to count calls and to inject delays or failures. */
function instrumented(inner: DocStorage, hooks: { beforeLoad?: () => Promise<void>; beforeSave?: (n: number) => Promise<void> } = {}) {
  const calls = { load: 0, save: 0 }
  const storage: DocStorage = {
    async loadDoc(documentId) {
      calls.load++
      await hooks.beforeLoad?.()
      return inner.loadDoc(documentId)
    },
    async saveDoc(documentId, binary) {
      calls.save++
      await hooks.beforeSave?.(calls.save)
      return inner.saveDoc(documentId, binary)
    },
  }
  return { storage, calls }
}

describe.each([
  ['memoryDocStorage', async () => memoryDocStorage()],
  ['a file-backed DocStorage', fileDocStorage],
])('persistence through %s', (_name, makeStorage) => {
  it('keeps a document across a service restart', async () => {
    const storage = await makeStorage()
    const first = await startDocServer({ storage, saveDebounceMs: 60_000 })
    const documentId = newDocumentId()
    const author = await RawPeer.connect(first.url)
    author.open(documentId, docWith({ title: 'kept' }))
    author.change(documentId, (doc) => {
      doc.more = 1
    })
    await until(() => author.acknowledged(documentId), 3000, 'the server to hold both changes')
    // The debounce is a minute: only close()'s flush can have written it.
    await first.close()

    const second = await startDocServer({ storage })
    const reader = await RawPeer.connect(second.url)
    reader.open(documentId)
    await until(() => reader.doc(documentId)?.more === 1, 3000, 'the document from storage')
    expect(reader.doc(documentId)).toEqual({ title: 'kept', more: 1 })
    expect(reader.messages.some((m) => m.type === 'doc-unavailable')).toBe(false)
  })
})

describe('storage writes', () => {
  it('coalesces writes, and relay never waits for a slow storage', async () => {
    // Every write waits for the test to let it through: relays must not.
    let release = (): void => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    let finished = 0
    const inner = memoryDocStorage()
    const { storage, calls } = instrumented(
      {
        loadDoc: (documentId) => inner.loadDoc(documentId),
        saveDoc: async (documentId, binary) => {
          await inner.saveDoc(documentId, binary)
          finished++
        },
      },
      { beforeSave: (n) => (n === 1 ? Promise.resolve() : held) },
    )
    const server = await startDocServer({ storage, saveDebounceMs: 50 })
    const documentId = newDocumentId()
    const a = await RawPeer.connect(server.url)
    const b = await RawPeer.connect(server.url)
    a.open(documentId, docWith({ n: 0 }))
    await until(() => finished === 1, 3000, 'the first write (not held)')
    b.open(documentId)
    await until(() => b.doc(documentId)?.n === 0, 3000, 'B to load the document')

    for (let n = 1; n <= 20; n++) {
      a.change(documentId, (doc) => {
        doc.n = n
      })
      await until(() => b.doc(documentId)?.n === n, 3000, `change ${n}`)
    }
    // Twenty relays done, in order, while the write that holds the first of them is held.
    expect(calls.save).toBe(2)
    expect(finished).toBe(1)
    expect(a.acknowledged(documentId)).toBe(false)
    release()
    await until(() => a.acknowledged(documentId), 3000, 'A acknowledged once the writes are through')
    await server.close()
    // The held write plus at most one more for everything that arrived meanwhile.
    expect(calls.save).toBeLessThanOrEqual(3)
    expect((await stored(storage, documentId))?.n).toBe(20)
  })

  it('reports a failed write and retries it', async () => {
    const { storage, calls } = instrumented(memoryDocStorage(), {
      beforeSave: async (n) => {
        if (n === 1) throw new Error('disk full')
      },
    })
    const server = await startDocServer({ storage, saveDebounceMs: 5 })
    const documentId = newDocumentId()
    const a = await RawPeer.connect(server.url)
    a.open(documentId, docWith({ title: 'retry me' }))
    await until(async () => (await stored(storage, documentId))?.title === 'retry me', 3000, 'the retried write')
    expect(calls.save).toBe(2)
    expect(server.errors).toHaveLength(1)
    expect(String(server.errors[0])).toMatch(/disk full/)
  })

  it('loads a stored save with incremental chunks appended', async () => {
    const storage = memoryDocStorage()
    const documentId = newDocumentId()
    const base = A.from<Record<string, unknown>>({ a: 1 })
    const next = A.change(base, (doc) => {
      doc.b = 2
    })
    await storage.saveDoc(documentId, new Uint8Array([...A.save(base), ...A.saveSince(next, A.getHeads(base))]))
    const server = await startDocServer({ storage })
    const reader = await RawPeer.connect(server.url)
    reader.open(documentId)
    await until(() => reader.doc(documentId)?.b === 2, 3000, 'the chunked document')
  })

  it('loads once for concurrent requests and drops an unused document from memory', async () => {
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const inner = memoryDocStorage()
    const documentId = newDocumentId()
    await inner.saveDoc(documentId, A.save(A.from({ shared: true })))
    const { storage, calls } = instrumented(inner, { beforeLoad: () => gate })
    const server = await startDocServer({ storage })
    const a = await RawPeer.connect(server.url)
    const b = await RawPeer.connect(server.url)
    a.open(documentId)
    b.open(documentId)
    await delay(20)
    release()
    await until(() => a.doc(documentId)?.shared === true && b.doc(documentId)?.shared === true, 3000, 'both peers')
    expect(calls.load).toBe(1)

    a.close()
    b.close()
    await until(() => server.service.peerCount === 0, 3000, 'both peers gone')
    await delay(20)
    const c = await RawPeer.connect(server.url)
    c.open(documentId)
    await until(() => c.doc(documentId)?.shared === true, 3000, 'the reloaded document')
    expect(calls.load).toBe(2)
  })

  it('answers an error when loading fails and loads again on the next request', async () => {
    let fail = true
    const inner = memoryDocStorage()
    const documentId = newDocumentId()
    await inner.saveDoc(documentId, A.save(A.from({ ok: true })))
    const { storage } = instrumented(inner, {
      beforeLoad: async () => {
        if (fail) throw new Error('storage offline')
      },
    })
    const server = await startDocServer({ storage })
    const peer = await RawPeer.connect(server.url)
    peer.open(documentId)
    const error = await peer.waitFor((m) => m.type === 'error')
    expect(error.message).toMatch(/could not be loaded/)
    expect(String(server.errors[0])).toMatch(/storage offline/)
    fail = false
    peer.open(documentId)
    await until(() => peer.doc(documentId)?.ok === true, 3000, 'the second attempt')
  })

  it('never overwrites a stored document it cannot read', async () => {
    const storage = memoryDocStorage()
    const documentId = newDocumentId()
    const corrupt = new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5])
    await storage.saveDoc(documentId, corrupt)
    const server = await startDocServer({ storage })
    const peer = await RawPeer.connect(server.url)
    peer.open(documentId, docWith({ overwrite: 'attempt' }))
    const error = await peer.waitFor((m) => m.type === 'error')
    expect(error).toMatchObject({ targetId: peer.peerId })
    await server.close()
    expect(await storage.loadDoc(documentId)).toEqual(corrupt)
  })
})
