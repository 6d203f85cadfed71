import { describe, expect, it } from 'vitest'
import { lazyCache } from '../../src/core/cache/lazyCache.js'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { DocCache, RecordCache } from '../../src/core/cache/types.js'

type Cache = RecordCache & DocCache

/** A load the test finishes (or fails) when it chooses, as a slow chunk fetch would. */
function controlledLoad() {
  const loads: Array<{ resolve: (cache: Cache) => void; reject: (error: Error) => void }> = []
  const load = () => new Promise<Cache>((resolve, reject) => void loads.push({ resolve, reject }))
  return { load, loads }
}

const entry = { id: 'o1', op: 'put' as const, rkey: 'r1', value: { text: 'hi' }, time_us: 1, tries: 0 }

describe('lazyCache', () => {
  it('starts loading at once, and calls made before the load finishes wait for it and answer from the loaded cache', async () => {
    const { load, loads } = controlledLoad()
    const cache = lazyCache(load)
    expect(loads.length).toBe(1)
    const saved = cache.saveRecords('room', [])
    const loaded = cache.loadRecords('room')
    const inner = createMemoryCache()
    loads[0]!.resolve(inner)
    await saved
    expect(await loaded).toEqual([])
    expect(await inner.loadRecords('room')).toEqual([])
    expect(loads.length).toBe(1)
  })

  it('attaches watch listeners given before the load, but not ones unsubscribed before it', async () => {
    const { load, loads } = controlledLoad()
    const cache = lazyCache(load)
    const heard: string[] = []
    cache.watchOutbox((key) => heard.push(`kept ${key}`))
    cache.watchOutbox((key) => heard.push(`dropped ${key}`))()
    loads[0]!.resolve(createMemoryCache())
    await cache.saveOutboxEntry('room', entry)
    await expect.poll(() => heard.length).toBe(1)
    expect(heard).toEqual(['kept room'])
  })

  it('a failed load fails the calls waiting for it, and the next call loads again', async () => {
    const { load, loads } = controlledLoad()
    const cache = lazyCache(load)
    const first = cache.loadOutbox('room')
    loads[0]!.reject(new Error('chunk fetch failed'))
    await expect(first).rejects.toThrow('chunk fetch failed')
    const second = cache.loadOutbox('room')
    expect(loads.length).toBe(2)
    loads[1]!.resolve(createMemoryCache())
    expect(await second).toEqual([])
  })

  it('closed before it loaded: the loaded cache is closed as soon as it arrives', async () => {
    const { load, loads } = controlledLoad()
    const cache = lazyCache(load)
    const inner = createMemoryCache()
    await inner.saveRecords('room', [])
    cache.close()
    loads[0]!.resolve(inner)
    // The memory cache forgets everything on close().
    await expect.poll(async () => (await inner.loadRecords('room')) === undefined).toBe(true)
  })
})
