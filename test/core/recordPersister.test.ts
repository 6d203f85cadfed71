import { describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { RecordCache } from '../../src/core/cache/types.js'
import { RecordPersister } from '../../src/core/records/recordPersister.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import type { Timers } from '../../src/core/silenceWatch.js'

const record = (rkey: string): WatchRecord<{ text: string }> => ({
  uri: `at://did:example:a/com.example.message/${rkey}`, did: 'did:example:a', rkey, collection: 'com.example.message', value: { text: rkey },
})

/** Timers a test fires by hand. */
function manualTimers() {
  const pending = new Map<number, () => void>()
  let next = 0
  const timers: Timers = {
    setTimeout: (callback) => {
      pending.set(++next, callback)
      return next
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  }
  const fire = (): void => {
    const callbacks = [...pending.values()]
    pending.clear()
    for (const callback of callbacks) callback()
  }
  return { timers, pending, fire }
}

/** The real memory cache, counting its saves. */
function countingCache(): { cache: RecordCache; saves: () => number } {
  const cache = createMemoryCache()
  let saves = 0
  return {
    cache: { ...cache, saveRecords: (key, records) => (saves++, cache.saveRecords(key, records)) },
    saves: () => saves,
  }
}

function persister(cache: RecordCache, current: () => WatchRecord<{ text: string }>[], timers: Timers) {
  const events: string[] = []
  const errors: unknown[] = []
  const p = new RecordPersister<{ text: string }>({
    cache, key: 'watch-1', maxRecords: 2, timers, current,
    saved: () => events.push('saved'),
    error: (error) => errors.push(error),
  })
  return { p, events, errors }
}

describe('RecordPersister', () => {
  it('coalesces a burst into one write of the first maxRecords records, then reports saved once', async () => {
    const { cache, saves } = countingCache()
    const { timers, pending, fire } = manualTimers()
    let records = [record('a')]
    const { p, events } = persister(cache, () => records, timers)
    expect(p.isSaved).toBe(true)
    p.schedule()
    records = [record('c'), record('b'), record('a')]
    p.schedule()
    expect(pending.size).toBe(1)
    expect(p.isSaved).toBe(false)
    fire()
    await p.flush()
    expect(saves()).toBe(1)
    expect((await cache.loadRecords('watch-1'))?.map((r) => r.rkey)).toEqual(['c', 'b'])
    expect(events).toEqual(['saved'])
    expect(p.isSaved).toBe(true)
  })

  it('flush writes a scheduled save at once; load gives it back; clear forgets it', async () => {
    const { cache } = countingCache()
    const { timers, pending } = manualTimers()
    const { p } = persister(cache, () => [record('a')], timers)
    p.schedule()
    await p.flush()
    expect(pending.size).toBe(0)
    expect((await p.load())?.map((r) => r.rkey)).toEqual(['a'])
    p.clear()
    await p.flush()
    expect(await cache.loadRecords('watch-1')).toBe(undefined)
  })

  it('reports a failing cache to error instead of throwing, and stays unsaved', async () => {
    const failing: RecordCache = {
      ...createMemoryCache(),
      loadRecords: () => Promise.reject(new Error('load broke')),
      saveRecords: () => Promise.reject(new Error('save broke')),
    }
    const { timers } = manualTimers()
    const { p, errors, events } = persister(failing, () => [record('a')], timers)
    expect(await p.load()).toBe(undefined)
    p.schedule()
    await p.flush()
    expect(errors.map((error) => (error as Error).message)).toEqual(['load broke', 'save broke'])
    expect(events).toEqual([])
    expect(p.isSaved).toBe(false)
  })
})
