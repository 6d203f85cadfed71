import { mkdtemp, readFile, readdir, rm, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Automerge from '@automerge/automerge'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fileStorage } from '../../src/server/storage/fileStorage.js'
import { memoryStorage } from '../../src/server/storage/memoryStorage.js'
import { postgresStorage } from '../../src/server/storage/postgresStorage.js'
import type { StorageProvider, StoredRecord } from '../../src/server/storage/types.js'
import { dropTables, POSTGRES_URL, postgresReachable as reachable } from '../support/postgres.js'

const scope = { collection: 'com.example.message', room: 'room-1' }
const record = (rkey: string, text: string, did = 'did:example:alice'): StoredRecord => ({
  uri: `at://${did}/${scope.collection}/${rkey}`,
  did,
  rkey,
  collection: scope.collection,
  value: { text },
  cid: `cid-${text}`,
  time_us: 1,
  indexed_at: 1,
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-storage-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Each test gets its own PostgreSQL tables (a random prefix), dropped afterwards. */
const postgresReachable = await reachable('the PostgreSQL storage tests')
const prefixes: string[] = []
const postgres = (prefix = `t_${Math.random().toString(36).slice(2, 10)}_`, compactAfterChunks?: number) => {
  prefixes.push(prefix)
  return postgresStorage({ connectionString: POSTGRES_URL, tablePrefix: prefix, ...(compactAfterChunks !== undefined && { compactAfterChunks }) })
}
afterAll(async () => {
  if (postgresReachable && prefixes.length > 0) await dropTables(prefixes)
})

describe.each([
  ['memory', () => memoryStorage()],
  ['file', () => fileStorage(dir)],
  ...(postgresReachable ? [['postgres', () => postgres()] as const] : []),
] as const)('%s storage', (_name, make) => {
  let storage: StorageProvider
  beforeEach(() => {
    storage = make()
  })
  afterEach(() => storage.close())

  it('stores, overwrites, lists and deletes records per room and per did', async () => {
    await storage.putRecord(scope, record('a', 'one'))
    await storage.putRecord(scope, record('a', 'same rkey, other user', 'did:example:bob'))
    await storage.putRecord(scope, record('a', 'one, edited'))
    await storage.putRecord({ ...scope, room: 'room-2' }, record('b', 'elsewhere'))
    expect((await storage.listRecords(scope)).map((r) => r.value)).toEqual([{ text: 'one, edited' }, { text: 'same rkey, other user' }])
    expect(await storage.getRecord(scope, 'did:example:bob', 'a')).toMatchObject({ value: { text: 'same rkey, other user' } })
    expect(await storage.deleteRecord(scope, 'did:example:alice', 'a')).toBe(true)
    expect(await storage.deleteRecord(scope, 'did:example:alice', 'a')).toBe(false)
    expect(await storage.listRecords(scope)).toHaveLength(1)
    expect(await storage.listRecords({ ...scope, room: 'room-2' })).toHaveLength(1)
  })

  it('stores document binaries, copying them so the caller may reuse its buffer', async () => {
    const bytes = new Uint8Array([1, 2, 3])
    await storage.saveDoc('doc-1', bytes)
    bytes[0] = 9
    expect(await storage.loadDoc('doc-1')).toEqual(new Uint8Array([1, 2, 3]))
    expect(await storage.loadDoc('unknown')).toBeUndefined()
  })
})

describe('file storage on disk', () => {
  it('survives a restart, including documents', async () => {
    const first = fileStorage(dir)
    await first.putRecord(scope, record('a', 'one'))
    await first.putRecord(scope, record('b', 'two'))
    await first.deleteRecord(scope, 'did:example:alice', 'a')
    await first.saveDoc('doc-1', new Uint8Array([4, 5]))
    await first.close()
    const second = fileStorage(dir)
    expect((await second.listRecords(scope)).map((r) => r.rkey)).toEqual(['b'])
    expect(await second.loadDoc('doc-1')).toEqual(new Uint8Array([4, 5]))
    await second.close()
  })

  it('skips a torn last line after a crash and keeps every complete write', async () => {
    const first = fileStorage(dir)
    await first.putRecord(scope, record('a', 'one'))
    await first.close()
    const [file] = await readdir(join(dir, 'records'))
    await appendFile(join(dir, 'records', file!), '{"op":"put","record":{"uri":"at://x')
    const corrupt: number[] = []
    const second = fileStorage(dir, { onCorruptLine: (_file, line) => corrupt.push(line) })
    expect((await second.listRecords(scope)).map((r) => r.rkey)).toEqual(['a'])
    expect(corrupt).toEqual([3])
    // The next write must not be glued onto the torn line.
    await second.putRecord(scope, record('b', 'two'))
    await second.close()
    const third = fileStorage(dir)
    expect((await third.listRecords(scope)).map((r) => r.rkey).sort()).toEqual(['a', 'b'])
    await third.close()
  })

  it('compacts a log full of overwrites without losing the live records', async () => {
    const storage = fileStorage(dir, { fsync: false })
    for (let i = 0; i < 150; i++) await storage.putRecord(scope, record('hot', `v${i}`))
    await storage.putRecord(scope, record('cold', 'kept'))
    await storage.close()
    const [file] = await readdir(join(dir, 'records'))
    const lines = (await readFile(join(dir, 'records', file!), 'utf8')).trim().split('\n')
    expect(lines.length).toBeLessThan(100)
    const reopened = fileStorage(dir)
    expect((await reopened.listRecords(scope)).map((r) => [r.rkey, r.value]).sort()).toEqual([
      ['cold', { text: 'kept' }],
      ['hot', { text: 'v149' }],
    ])
    await reopened.close()
  })

  it('names files by hash, so room names and document ids cannot escape the directory', async () => {
    const storage = fileStorage(dir)
    await storage.putRecord({ ...scope, room: '../../escape' }, record('a', 'one'))
    await storage.saveDoc('../../../etc/passwd', new Uint8Array([1]))
    await storage.close()
    expect((await readdir(dir)).sort()).toEqual(['docs', 'records'])
    for (const sub of ['docs', 'records']) {
      for (const name of await readdir(join(dir, sub))) expect(name).toMatch(/^[0-9a-f]{64}\.(jsonl|automerge)$/)
    }
  })
})

describe.runIf(postgresReachable)('postgres storage shared by two instances', () => {
  let prefix: string
  beforeAll(() => {
    prefix = `t_${Math.random().toString(36).slice(2, 10)}_`
  })

  it('loses nothing when both write records and save the same document at once', async () => {
    const one = postgres(prefix, 4)
    const two = postgres(prefix, 4)
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => one.putRecord(scope, record(`one-${i}`, `from one ${i}`))),
      ...Array.from({ length: 20 }, (_, i) => two.putRecord(scope, record(`two-${i}`, `from two ${i}`))),
    ])
    expect(await one.listRecords(scope)).toHaveLength(40)

    // Each instance holds its own copy of a document and saves its own edits, interleaved.
    let docOne = Automerge.from<{ edits: Record<string, number> }>({ edits: {} })
    let docTwo = Automerge.merge(Automerge.init<{ edits: Record<string, number> }>(), docOne)
    const saves: Promise<void>[] = []
    for (let i = 0; i < 10; i++) {
      docOne = Automerge.change(docOne, (doc) => void (doc.edits[`one-${i}`] = i))
      docTwo = Automerge.change(docTwo, (doc) => void (doc.edits[`two-${i}`] = i))
      saves.push(one.saveDoc('shared', Automerge.save(docOne)), two.saveDoc('shared', Automerge.save(docTwo)))
    }
    await Promise.all(saves)
    const loaded = Automerge.load<{ edits: Record<string, number> }>((await two.loadDoc('shared'))!)
    expect(Object.keys(loaded.edits)).toHaveLength(20)
    await Promise.all([one.close(), two.close()])
  })

  it('compacts a document\'s chunks into one without dropping a change', async () => {
    const storage = postgres(`${prefix}c_`, 3)
    let doc = Automerge.from<{ n: number[] }>({ n: [] })
    for (let i = 0; i < 7; i++) {
      doc = Automerge.change(doc, (d) => void d.n.push(i))
      await storage.saveDoc('compacted', Automerge.saveIncremental(doc))
    }
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${prefix}c_doc_chunks WHERE document_id = 'compacted'`)
    await client.end()
    expect(rows[0].n).toBeLessThan(7)
    expect(Automerge.load<{ n: number[] }>((await storage.loadDoc('compacted'))!).n).toEqual([0, 1, 2, 3, 4, 5, 6])
    await storage.close()
  })
})
