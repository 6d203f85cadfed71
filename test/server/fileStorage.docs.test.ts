import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileStorage } from '../../src/server/storage/fileStorage.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-file-docs-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('fileStorage documents', () => {
  it('makes the documents directory at the first write, and again when it has gone since', async () => {
    const storage = fileStorage(dir)
    expect(await storage.loadDoc('doc-1')).toBeUndefined()
    await expect(readdir(dir)).resolves.toEqual([])
    await storage.saveDoc('doc-1', new Uint8Array([1, 2, 3]))
    expect(await storage.loadDoc('doc-1')).toEqual(new Uint8Array([1, 2, 3]))
    // Writes after the first open the file directly; a directory removed meanwhile is made again.
    await rm(join(dir, 'docs'), { recursive: true })
    await storage.saveDoc('doc-1', new Uint8Array([4, 5]))
    expect(await storage.loadDoc('doc-1')).toEqual(new Uint8Array([4, 5]))
    await storage.saveDoc('doc-2', new Uint8Array([6]))
    await storage.close()
    // No temporary file is left behind.
    expect((await readdir(join(dir, 'docs'))).filter((name) => name.endsWith('.tmp'))).toEqual([])
    const reopened = fileStorage(dir)
    expect(await reopened.loadDoc('doc-1')).toEqual(new Uint8Array([4, 5]))
    expect(await reopened.loadDoc('doc-2')).toEqual(new Uint8Array([6]))
    await reopened.close()
  })
})
