import type * as FsPromises from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fileStorage } from '../../src/server/storage/fileStorage.js'
import type { StoredRecord } from '../../src/server/storage/types.js'

// A power cut cannot be staged in a test, so this one watches the real file system calls the
// storage makes, in order, and checks that each directory entry the storage creates or swaps
// (a new log, a renamed document) is flushed before the write counts as done.
const calls = vi.hoisted(() => ({ log: [] as string[] }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>()
  const watched = (path: string, handle: FileHandle): FileHandle => {
    const { sync, datasync } = handle
    handle.sync = () => (calls.log.push(`sync ${path}`), sync.call(handle))
    handle.datasync = () => (calls.log.push(`datasync ${path}`), datasync.call(handle))
    return handle
  }
  return {
    ...fs,
    open: async (...args: Parameters<typeof fs.open>) => watched(String(args[0]), await fs.open(...args)),
    rename: async (from: string, to: string) => {
      await fs.rename(from, to)
      calls.log.push(`rename ${to}`)
    },
  }
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-file-durable-'))
  calls.log.length = 0
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const scope = { collection: 'com.example.message', room: 'room-1' }
const record = (rkey: string): StoredRecord => ({
  uri: `at://did:example:alice/com.example.message/${rkey}`,
  did: 'did:example:alice',
  rkey,
  collection: scope.collection,
  value: {},
  cid: 'c',
  time_us: 1,
  indexed_at: 1,
})

describe('fileStorage flushes the directory entries it changes', () => {
  it('flushes the documents directory after a document is renamed into place', async () => {
    const storage = fileStorage(dir)
    await storage.saveDoc('doc-1', new Uint8Array([1, 2, 3]))
    const renamed = calls.log.findIndex((call) => call.startsWith('rename '))
    expect(renamed).not.toBe(-1)
    expect(calls.log.slice(renamed + 1)).toContain(`sync ${join(dir, 'docs')}`)
    await storage.close()
  })

  it('flushes the storage directory after making its documents directory, and only then', async () => {
    const storage = fileStorage(dir)
    const rootSyncs = (): string[] => calls.log.filter((call) => call === `sync ${dir}`)
    await storage.saveDoc('doc-1', new Uint8Array([1]))
    expect(rootSyncs()).toHaveLength(1)
    await storage.saveDoc('doc-1', new Uint8Array([2]))
    await storage.saveDoc('doc-2', new Uint8Array([3]))
    expect(rootSyncs()).toHaveLength(1)
    await storage.putRecord(scope, record('a'))
    // The records directory is new too.
    expect(rootSyncs()).toHaveLength(2)
    await storage.close()
  })

  it("flushes the records directory after a room's log is created, and not on later appends", async () => {
    const storage = fileStorage(dir)
    await storage.putRecord(scope, record('a'))
    const directorySyncs = (): string[] => calls.log.filter((call) => call === `sync ${join(dir, 'records')}`)
    expect(directorySyncs()).toHaveLength(1)
    await storage.putRecord(scope, record('b'))
    expect(directorySyncs()).toHaveLength(1)
    await storage.close()
  })

  it('makes no flush at all with fsync: false', async () => {
    const storage = fileStorage(dir, { fsync: false })
    await storage.saveDoc('doc-1', new Uint8Array([1]))
    await storage.putRecord(scope, record('a'))
    expect(calls.log.filter((call) => !call.startsWith('rename '))).toEqual([])
    await storage.close()
  })
})
