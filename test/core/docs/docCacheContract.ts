import { expect, it } from 'vitest'
import type { DocCache } from '../../../src/core/cache/types.js'

/**
 * The DocCache contract, run against every cache: in Node (memory) and in Chromium
 * (memory and IndexedDB). `make()` returns a factory whose every `open()` is a new
 * connection to the same storage, as after a reload or in another tab.
 */
export function docCacheContract(make: () => { open: () => DocCache }): void {
  const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)
  const view = (chunks: Awaited<ReturnType<DocCache['loadDoc']>>) => chunks.map(({ key, kind, data }) => ({ key, kind, data: [...data] }))

  it('loads nothing for a document never saved', async () => {
    expect(await make().open().loadDoc('never-saved')).toEqual([])
  })

  it('keeps every chunk of a document, snapshots first, across connections', async () => {
    const factory = make()
    const writer = factory.open()
    await writer.saveDocChunk('doc-a', { key: 'i-2', kind: 'incremental', data: bytes(2) })
    await writer.saveDocChunk('doc-a', { key: 's-1', kind: 'snapshot', data: bytes(1, 1) })
    await writer.saveDocChunk('doc-a', { key: 'i-3', kind: 'incremental', data: bytes(3) })
    await writer.saveDocChunk('doc-b', { key: 's-9', kind: 'snapshot', data: bytes(9) })
    const reader = factory.open()
    expect(view(await reader.loadDoc('doc-a'))).toEqual([
      { key: 's-1', kind: 'snapshot', data: [1, 1] },
      { key: 'i-2', kind: 'incremental', data: [2] },
      { key: 'i-3', kind: 'incremental', data: [3] },
    ])
    expect(view(await reader.loadDoc('doc-b'))).toEqual([{ key: 's-9', kind: 'snapshot', data: [9] }])
  })

  it('replaces exactly the named chunks in one step, leaving chunks it was not told about', async () => {
    const cache = make().open()
    await cache.saveDocChunk('doc', { key: 's-1', kind: 'snapshot', data: bytes(1) })
    await cache.saveDocChunk('doc', { key: 'i-2', kind: 'incremental', data: bytes(2) })
    // Written by another tab after this writer last looked: not in `replaces`, so it stays.
    await cache.saveDocChunk('doc', { key: 'i-3', kind: 'incremental', data: bytes(3) })
    await cache.saveDocChunk('doc', { key: 's-4', kind: 'snapshot', data: bytes(1, 2) }, ['s-1', 'i-2', 'gone-already'])
    expect(view(await cache.loadDoc('doc')).map((chunk) => chunk.key)).toEqual(['s-4', 'i-3'])
  })

  it('deletes one document and nothing else', async () => {
    const cache = make().open()
    await cache.saveDocChunk('doc-1', { key: 's', kind: 'snapshot', data: bytes(1) })
    await cache.saveDocChunk('doc-2', { key: 's', kind: 'snapshot', data: bytes(2) })
    await cache.deleteDoc('doc-1')
    expect(await cache.loadDoc('doc-1')).toEqual([])
    expect(view(await cache.loadDoc('doc-2'))).toHaveLength(1)
  })

  it('is not affected by changing a buffer after saving it', async () => {
    const cache = make().open()
    const data = bytes(1, 2, 3)
    await cache.saveDocChunk('doc', { key: 's', kind: 'snapshot', data })
    data[0] = 99
    expect(view(await cache.loadDoc('doc'))[0]?.data).toEqual([1, 2, 3])
  })

  it('tells watchers, here and on other connections, which chunks were written', async () => {
    const factory = make()
    const writer = factory.open()
    const other = factory.open()
    const seenHere: Array<[string, readonly string[]]> = []
    const seenThere: Array<[string, readonly string[]]> = []
    const stopHere = writer.watchDocs((documentId, keys) => seenHere.push([documentId, keys]))
    const stopThere = other.watchDocs((documentId, keys) => seenThere.push([documentId, keys]))
    await writer.saveDocChunk('doc', { key: 'i-1', kind: 'incremental', data: bytes(1) })
    await expect.poll(() => seenThere).toEqual([['doc', ['i-1']]])
    await expect.poll(() => seenHere).toEqual([['doc', ['i-1']]])
    stopHere()
    stopThere()
    await writer.saveDocChunk('doc', { key: 'i-2', kind: 'incremental', data: bytes(2) })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(seenThere).toHaveLength(1)
    expect(seenHere).toHaveLength(1)
  })
}
