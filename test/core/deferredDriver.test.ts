import { describe, expect, it, vi } from 'vitest'
import type { Driver } from '../../src/core/deferredDriver.js'
import { DeferredDriver } from '../../src/core/deferredDriver.js'
import type { Environment } from '../../src/core/environment.js'
import { LazyModule } from '../../src/core/lazyModule.js'
import type { MachineState, SyncStatus } from '../../src/core/machine.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'

/** A chunk load the test settles by hand. */
function manualModule(): { module: LazyModule<string>; arrive(): void; fail(): void; loads: () => number } {
  let loads = 0
  let settle: { resolve(value: string): void; reject(error: Error): void } | null = null
  const module = new LazyModule(() => {
    loads++
    return new Promise<string>((resolve, reject) => (settle = { resolve, reject }))
  })
  return { module, arrive: () => settle?.resolve('code'), fail: () => settle?.reject(new Error('chunk fetch failed')), loads: () => loads }
}

function fakeEnv(): Environment & { fire(): void; online(): void } {
  let timer: (() => void) | null = null
  let online: (() => void) | null = null
  return {
    setTimeout: (callback) => ((timer = callback), 1),
    clearTimeout: () => (timer = null),
    random: () => 0.5,
    onOnline: (callback) => ((online = callback), () => (online = null)),
    onVisible: () => () => {},
    fire: () => timer?.(),
    online: () => online?.(),
  }
}

function realDriverStub(): Driver & { starts: number; stops: number } {
  const stub = {
    starts: 0,
    stops: 0,
    state: { status: 'connecting', error: null, attempt: 0 } as MachineState,
    start: () => void stub.starts++,
    stop: () => void stub.stops++,
  }
  return stub
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('DeferredDriver: the connection code loads with the first start', () => {
  it('is connecting while the code loads, and starts the real driver once it arrives', async () => {
    const chunk = manualModule()
    const seen: SyncStatus[] = []
    const real = realDriverStub()
    const make = vi.fn(() => real)
    const driver = new DeferredDriver(chunk.module, make, fakeEnv(), (state) => seen.push(state.status))
    expect(driver.state.status).toBe('idle')
    expect(chunk.loads()).toBe(0)
    driver.start()
    expect(driver.state.status).toBe('connecting')
    expect(seen).toEqual(['connecting'])
    driver.start()
    expect(chunk.loads()).toBe(1)
    chunk.arrive()
    await flush()
    expect(make).toHaveBeenCalledWith('code')
    expect(real.starts).toBe(1)
    driver.stop()
    driver.start()
    expect([real.stops, real.starts, make.mock.calls.length]).toEqual([1, 2, 1])
  })

  it('stopped before the code arrives: closed at once, and no driver is ever made', async () => {
    const chunk = manualModule()
    const make = vi.fn(realDriverStub)
    const driver = new DeferredDriver(chunk.module, make, fakeEnv(), () => {})
    driver.start()
    driver.stop()
    expect(driver.state).toEqual({ status: 'closed', error: null, attempt: 0 })
    chunk.arrive()
    await flush()
    expect(make).not.toHaveBeenCalled()
    expect(driver.state.status).toBe('closed')
  })

  it('a failed fetch of the code is reconnecting with a network error, and is tried again', async () => {
    const chunk = manualModule()
    const env = fakeEnv()
    const real = realDriverStub()
    const driver = new DeferredDriver(chunk.module, () => real, env, () => {})
    driver.start()
    chunk.fail()
    await flush()
    expect(driver.state.status).toBe('reconnecting')
    expect(driver.state.error?.code).toBe('network')
    expect(driver.state.attempt).toBe(1)
    env.fire()
    expect(driver.state.status).toBe('connecting')
    expect(chunk.loads()).toBe(2)
    chunk.fail()
    await flush()
    expect(driver.state.attempt).toBe(2)
    env.online() // back online: no need to wait for the timer
    chunk.arrive()
    await flush()
    expect(real.starts).toBe(1)
  })
})

describe('a record store closed before its connection code arrives', () => {
  it('opens no stream, and says closed', async () => {
    const fetch = vi.fn(() => Promise.reject(new Error('must not be called')))
    const store = createRecordStore({ url: 'http://127.0.0.1:9/xrpc/com.example.message.watchRecords?roomUri=r', fetch })
    store.start()
    expect(store.getSnapshot().status).toBe('connecting')
    await store.stop()
    expect(store.getSnapshot().status).toBe('closed')
    // Long enough for the connection and transport chunks to have arrived and (wrongly) connected.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(fetch).not.toHaveBeenCalled()
    expect(store.getSnapshot().status).toBe('closed')
  })
})
