import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defaultEnvironment } from '../../src/core/environment.js'
import { StoreRegistry } from '../../src/core/storeRegistry.js'

interface FakeStore {
  readonly name: string
  saved: boolean
  whenSaved: Promise<void>
  save(): void
}

function fakeStore(name: string, saved = true): FakeStore {
  let resolve!: () => void
  const store: FakeStore = {
    name,
    saved,
    whenSaved: new Promise<void>((r) => (resolve = r)),
    save() {
      store.saved = true
      resolve()
    },
  }
  return store
}

function registry(releaseDelayMs = 1000) {
  const events: string[] = []
  const stores = new StoreRegistry<FakeStore>({
    environment: defaultEnvironment,
    releaseDelayMs,
    onActive: (store) => events.push(`active ${store.name}`),
    unfinished: (store) => (store.saved ? null : store.whenSaved),
    onRelease: (store, key, wasActive) => events.push(`release ${key}${wasActive ? '' : ' (never used)'}`),
  })
  return { stores, events }
}

beforeEach(() => void vi.useFakeTimers())
afterEach(() => void vi.useRealTimers())

describe('StoreRegistry', () => {
  it('StrictMode: retain, release, retain again within one tick keeps the same store, started once', () => {
    const { stores, events } = registry()
    const store = stores.add('a', fakeStore('a'))
    const releaseFirst = stores.retain(store)
    releaseFirst()
    const releaseSecond = stores.retain(store)
    vi.advanceTimersByTime(5000)
    expect(stores.get('a')).toBe(store)
    expect(events).toEqual(['active a'])
    releaseSecond()
    vi.advanceTimersByTime(999)
    expect(events).toEqual(['active a'])
    vi.advanceTimersByTime(1)
    expect(events).toEqual(['active a', 'release a'])
    expect(stores.get('a')).toBeUndefined()
    expect(stores.has(store)).toBe(false)
  })

  it('Suspense: a store added by a render that never commits is released after the delay', () => {
    const { stores, events } = registry(50)
    stores.add('a', fakeStore('a'))
    vi.advanceTimersByTime(49)
    expect(stores.size).toBe(1)
    vi.advanceTimersByTime(1)
    expect(events).toEqual(['release a (never used)'])
    expect(stores.size).toBe(0)
  })

  it('never releases a store with unfinished work until the work is done, and not while retained again', async () => {
    const { stores, events } = registry(10)
    const store = stores.add('a', fakeStore('a', false))
    const release = stores.retain(store)
    release()
    release()
    vi.advanceTimersByTime(10_000)
    expect(events).toEqual(['active a'])
    const releaseAgain = stores.retain(store)
    store.save()
    await vi.runAllTimersAsync()
    expect(events).toEqual(['active a'])
    releaseAgain()
    await vi.advanceTimersByTimeAsync(10)
    expect(events).toEqual(['active a', 'release a'])
  })

  it('asks about unfinished work once per wait, not once per timer', async () => {
    const store = fakeStore('a', false)
    let asked = 0
    const counting = new StoreRegistry<FakeStore>({
      environment: defaultEnvironment,
      releaseDelayMs: 10,
      unfinished: (s) => (asked++, s.saved ? null : s.whenSaved),
      onRelease: () => {},
    })
    counting.add('a', store)
    for (let round = 0; round < 5; round++) {
      counting.retain(store)()
      vi.advanceTimersByTime(10)
    }
    expect(asked).toBe(1)
    store.save()
    await vi.runAllTimersAsync()
    expect(asked).toBe(2)
    expect(counting.size).toBe(0)
  })

  it("refuses a store it does not hold with SyncError 'bad-input', and clear() forgets everything without releasing", () => {
    const { stores, events } = registry()
    expect(() => stores.retain(fakeStore('stranger'))).toThrow(expect.objectContaining({ code: 'bad-input' }))
    const store = stores.add('a', fakeStore('a'))
    expect(stores.clear()).toEqual([store])
    vi.advanceTimersByTime(5000)
    expect(events).toEqual([])
  })

  it('releaseAtOnce: counts uses with release(value), releases in the last one, and ignores a value already released', () => {
    const events: string[] = []
    const stores = new StoreRegistry<FakeStore>({
      environment: defaultEnvironment,
      releaseDelayMs: 0,
      releaseAtOnce: true,
      onRelease: (_store, key) => events.push(`release ${key}`),
    })
    const store = stores.add('a', fakeStore('a'))
    vi.advanceTimersByTime(1000)
    // Added but not yet retained is not "unused": its adder retains it next.
    expect(stores.get('a')).toBe(store)
    stores.retain(store)
    stores.retain(store)
    stores.release(store)
    expect(events).toEqual([])
    stores.release(store)
    expect(events).toEqual(['release a'])
    expect(stores.get('a')).toBeUndefined()
    const next = stores.add('a', fakeStore('a'))
    stores.retain(next)
    stores.release(store)
    expect(stores.get('a')).toBe(next)
    expect(events).toEqual(['release a'])
  })
})
