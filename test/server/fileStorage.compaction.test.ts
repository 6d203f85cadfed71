import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileStorage } from '../../src/server/storage/fileStorage.js'
import type { StoredRecord } from '../../src/server/storage/types.js'

const scope = { collection: 'com.example.message', room: 'compaction' }
const did = 'did:example:alice'
const record = (rkey: string, text: string): StoredRecord => ({
  uri: `at://${did}/${scope.collection}/${rkey}`,
  did,
  rkey,
  collection: scope.collection,
  value: { text },
  cid: `cid-${text}`,
  time_us: Date.now() * 1000,
  indexed_at: Date.now(),
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-compaction-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

/** What a restarted server (a fresh fileStorage on the same directory) would read. */
async function onDisk(): Promise<Record<string, string>> {
  const reader = fileStorage(dir)
  const records = await reader.listRecords(scope)
  await reader.close()
  return Object.fromEntries(records.map((stored) => [stored.rkey, (stored.value as { text: string }).text]))
}

/**
 * Found by the soak (seed 214708150, file storage, after kill -9 and restart): the write
 * that triggered a compaction rewrote the log from the records in memory before that very
 * write was applied to them, so the rewritten file lacked it: an acknowledged put vanished
 * and an acknowledged delete came back.
 */
describe('file storage compaction', () => {
  it('keeps the write that triggers it (puts and deletes interleaved)', async () => {
    const storage = fileStorage(dir)
    const expected: Record<string, string> = {}
    // Overwrites of one key add lines but no records, so compactions come every ~64 writes.
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 9) {
        await storage.deleteRecord(scope, did, 'other')
        delete expected.other
      } else {
        const rkey = i % 10 === 8 ? 'other' : 'same'
        await storage.putRecord(scope, record(rkey, `v${i}`))
        expected[rkey] = `v${i}`
      }
      expect(await onDisk(), `after write ${i}`).toEqual(expected)
    }
    await storage.close()
  })
})
