import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileStorage } from '../../src/server/storage/fileStorage.js'
import type { StoredRecord } from '../../src/server/storage/types.js'

/** Issue 13, item 5: rooms are created by writes only, and at most `maxOpenRooms` stay open. */
const collection = 'com.example.message'
const scope = (room: string) => ({ collection, room })
const record = (rkey: string, text: string): StoredRecord => ({
  uri: `at://did:example:alice/${collection}/${rkey}`,
  did: 'did:example:alice',
  rkey,
  collection,
  value: { text },
  cid: `cid-${text}`,
  time_us: 1,
  indexed_at: 1,
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-rooms-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** This process's descriptors that point into the storage directory (Linux /proc). */
async function descriptorsInto(directory: string): Promise<number> {
  let count = 0
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '')
    if (target.startsWith(directory)) count++
  }
  return count
}

describe('file storage rooms', () => {
  it('creates no file and no directory for reads of rooms nobody wrote to', async () => {
    const storage = fileStorage(dir)
    for (let i = 0; i < 20; i++) {
      expect(await storage.listRecords(scope(`nobody-${i}`))).toEqual([])
      expect(await storage.getRecord(scope(`nobody-${i}`), 'did:example:alice', 'a')).toBeUndefined()
      expect(await storage.deleteRecord(scope(`nobody-${i}`), 'did:example:alice', 'a')).toBe(false)
    }
    expect(await readdir(dir)).toEqual([])
    expect(await descriptorsInto(dir)).toBe(0)
    await storage.close()
  })

  it('keeps at most maxOpenRooms rooms open, and reads closed ones back from disk', async () => {
    const storage = fileStorage(dir, { fsync: false, maxOpenRooms: 3 })
    for (let i = 0; i < 30; i++) {
      await storage.putRecord(scope(`room-${i}`), record('a', `first ${i}`))
      expect(await descriptorsInto(dir)).toBeLessThanOrEqual(3)
    }
    for (let i = 0; i < 30; i++) await storage.putRecord(scope(`room-${i}`), record('b', `second ${i}`))
    for (let i = 0; i < 30; i++) {
      const values = (await storage.listRecords(scope(`room-${i}`))).map((r) => r.value).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
      expect(values).toEqual([{ text: `first ${i}` }, { text: `second ${i}` }])
    }
    expect(await descriptorsInto(dir)).toBeLessThanOrEqual(3)
    expect(await readdir(join(dir, 'records'))).toHaveLength(30)
    await storage.close()
    expect(await descriptorsInto(dir)).toBe(0)
  })

  it('never closes a room under a write in flight: concurrent writes to more rooms than the cap all land', async () => {
    const storage = fileStorage(dir, { fsync: false, maxOpenRooms: 2 })
    const rooms = 3
    await Promise.all(Array.from({ length: 300 }, (_, i) => storage.putRecord(scope(`busy-${i % rooms}`), record(`k${i}`, `v${i}`))))
    await Promise.all(Array.from({ length: 60 }, (_, i) => storage.deleteRecord(scope(`busy-${i % rooms}`), 'did:example:alice', `k${i}`)))
    const expected = (room: number): string[] =>
      Array.from({ length: 100 }, (_, j) => room + rooms * j)
        .filter((i) => i >= 60)
        .map((i) => `k${i}`)
        .sort()
    for (let room = 0; room < rooms; room++) expect((await storage.listRecords(scope(`busy-${room}`))).map((r) => r.rkey).sort()).toEqual(expected(room))
    await storage.close()
    const reopened = fileStorage(dir)
    for (let room = 0; room < rooms; room++) expect((await reopened.listRecords(scope(`busy-${room}`))).map((r) => r.rkey).sort()).toEqual(expected(room))
    await reopened.close()
  })
})
