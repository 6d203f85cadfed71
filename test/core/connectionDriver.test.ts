import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConnectAttempt } from '../../src/core/connectionDriver.js'
import { ConnectionDriver } from '../../src/core/connectionDriver.js'
import type { Environment } from '../../src/core/environment.js'
import { SyncError } from '../../src/core/errors.js'
import type { SyncStatus } from '../../src/core/machine.js'

/** A controllable world: fake timers from Vitest, online/visible signals fired by hand. */
function testEnvironment(random = 0.5) {
  const online = new Set<() => void>()
  const visible = new Set<() => void>()
  const offline = new Set<() => void>()
  const environment: Environment = {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    random: () => random,
    onOnline: (callback) => (online.add(callback), () => online.delete(callback)),
    onVisible: (callback) => (visible.add(callback), () => visible.delete(callback)),
    onOffline: (callback) => (offline.add(callback), () => offline.delete(callback)),
  }
  return {
    environment,
    goOnline: () => online.forEach((f) => f()),
    goOffline: () => offline.forEach((f) => f()),
    listeners: () => online.size + visible.size + offline.size,
  }
}

function setup(options: { reconnect?: boolean | { initialDelayMs?: number; maxDelayMs?: number }; heartbeatMs?: number; random?: number } = {}) {
  const world = testEnvironment(options.random)
  const attempts: ConnectAttempt[] = []
  const closed: number[] = []
  const statuses: SyncStatus[] = []
  const driver = new ConnectionDriver({
    connect: (attempt) => {
      const index = attempts.push(attempt) - 1
      return { close: () => closed.push(index) }
    },
    reconnect: options.reconnect,
    heartbeatMs: options.heartbeatMs,
    environment: world.environment,
    onChange: (state) => statuses.push(state.status),
  })
  return { driver, attempts, closed, statuses, ...world, last: () => attempts.at(-1)! }
}

const lose = (attempt: ConnectAttempt) => attempt.lost(new SyncError('network', 'dropped'))

describe('ConnectionDriver', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('drops a live connection when the device goes offline, and reconnects at once when it is back', async () => {
    const t = setup({ reconnect: { initialDelayMs: 60_000 } })
    t.driver.start()
    t.last().opened()
    t.last().caughtUp()
    t.goOffline()
    expect(t.statuses.at(-1)).toBe('reconnecting')
    expect(t.driver.state.error?.message).toMatch(/offline/)
    expect(t.closed).toEqual([0])
    // Offline again while already reconnecting changes nothing.
    t.goOffline()
    expect(t.attempts).toHaveLength(1)
    t.goOnline()
    expect(t.attempts).toHaveLength(2)
    expect(t.statuses.at(-1)).toBe('connecting')
  })

  it('connects, goes live, and reconnects after the jittered backoff', async () => {
    const t = setup({ reconnect: { initialDelayMs: 1000 }, random: 0.5 })
    t.driver.start()
    t.last().opened()
    t.last().caughtUp()
    lose(t.last())
    expect(t.statuses).toEqual(['connecting', 'snapshot', 'live', 'reconnecting'])
    await vi.advanceTimersByTimeAsync(499)
    expect(t.attempts).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.attempts).toHaveLength(2)
    expect(t.statuses.at(-1)).toBe('connecting')
  })

  it('doubles the ceiling per failure up to the cap, and resets it on live', async () => {
    const t = setup({ reconnect: { initialDelayMs: 100, maxDelayMs: 400 }, random: 0.999 })
    t.driver.start()
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      lose(t.last())
      const before = t.attempts.length
      let waited = 0
      while (t.attempts.length === before) {
        await vi.advanceTimersByTimeAsync(1)
        waited++
      }
      waits.push(waited)
    }
    expect(waits).toEqual([99, 199, 399, 399])
    t.last().opened()
    t.last().caughtUp()
    lose(t.last())
    await vi.advanceTimersByTimeAsync(100)
    expect(t.attempts).toHaveLength(6)
  })

  it('retries at once when the device comes back online', async () => {
    const t = setup({ reconnect: { initialDelayMs: 60_000 } })
    t.driver.start()
    lose(t.last())
    expect(t.attempts).toHaveLength(1)
    t.goOnline()
    expect(t.attempts).toHaveLength(2)
    expect(t.statuses.at(-1)).toBe('connecting')
    // The pending backoff timer was cancelled, not left to fire a second attempt.
    await vi.advanceTimersByTimeAsync(120_000)
    expect(t.attempts).toHaveLength(2)
  })

  it('does not loop on auth failures and stops listening for wake-ups', async () => {
    const t = setup()
    t.driver.start()
    t.last().lost(new SyncError('unauthorized', 'bad token'))
    expect(t.driver.state).toMatchObject({ status: 'closed', error: { code: 'unauthorized' } })
    t.goOnline()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(t.attempts).toHaveLength(1)
    expect(t.listeners()).toBe(0)
    t.driver.start()
    expect(t.attempts).toHaveLength(2)
  })

  it('ignores callbacks from an abandoned attempt', async () => {
    const t = setup({ reconnect: { initialDelayMs: 10 } })
    t.driver.start()
    const first = t.last()
    lose(first)
    await vi.advanceTimersByTimeAsync(10)
    first.opened()
    first.caughtUp()
    expect(t.driver.state.status).toBe('connecting')
    expect(first.signal.aborted).toBe(true)
    expect(t.closed).toContain(0)
  })

  it('ignores what an attempt reports while its signal is aborting (the abort listeners run at once)', () => {
    const t = setup({ reconnect: { initialDelayMs: 10 } })
    t.driver.start()
    const first = t.last()
    first.opened()
    first.caughtUp()
    // A transport that, as it is torn down, still says something (a last chunk, an error).
    first.signal.addEventListener('abort', () => {
      first.alive()
      first.caughtUp()
      first.lost(new SyncError('network', 'late'))
    })
    const before = t.statuses.length
    t.driver.stop()
    // Straight to closed: the late `lost` did not pass through reconnecting (nor open another attempt).
    expect(t.statuses.slice(before)).toEqual(['closed'])
    expect(t.attempts).toHaveLength(1)
    expect(t.driver.state.error).toBeNull()
    expect(first.signal.aborted).toBe(true)
  })

  it('treats silence past the heartbeat window as a dead connection', async () => {
    const t = setup({ heartbeatMs: 1000 })
    t.driver.start()
    t.last().opened()
    await vi.advanceTimersByTimeAsync(900)
    t.last().alive()
    await vi.advanceTimersByTimeAsync(900)
    expect(t.driver.state.status).toBe('snapshot')
    await vi.advanceTimersByTimeAsync(100)
    expect(t.driver.state.status).toBe('reconnecting')
    expect(t.closed).toEqual([0])
  })

  it('pushes the heartbeat deadline back per chunk without a timer call, and still sees silence', async () => {
    const t = setup({ heartbeatMs: 1000 })
    const calls = { setTimeout: 0, clearTimeout: 0 }
    const { setTimeout: set, clearTimeout: clear } = t.environment
    t.environment.setTimeout = (callback, ms) => (calls.setTimeout++, set(callback, ms))
    t.environment.clearTimeout = (handle) => (calls.clearTimeout++, clear(handle))
    t.environment.now = () => Date.now()
    t.driver.start()
    t.last().opened()
    for (let chunk = 0; chunk < 50; chunk++) t.last().alive()
    expect(calls).toEqual({ setTimeout: 1, clearTimeout: 0 })
    await vi.advanceTimersByTimeAsync(900)
    t.last().alive()
    await vi.advanceTimersByTimeAsync(999)
    expect(t.driver.state.status).toBe('snapshot')
    await vi.advanceTimersByTimeAsync(1)
    expect(t.driver.state.status).toBe('reconnecting')
    expect(t.driver.state.error?.message).toMatch(/No data or keepalive for 1000 ms/)
  })

  it('ends in closed when reconnect is off, and start() after stop() starts again', () => {
    const t = setup({ reconnect: false })
    t.driver.start()
    lose(t.last())
    expect(t.driver.state.status).toBe('closed')
    t.driver.start()
    t.driver.stop()
    expect(t.closed).toEqual([0, 1])
    t.driver.start()
    expect(t.attempts).toHaveLength(3)
    expect(t.statuses).toEqual(['connecting', 'closed', 'connecting', 'closed', 'connecting'])
  })
})
