import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Timers } from '../../src/core/silenceWatch.js'
import { createSilenceWatch } from '../../src/core/silenceWatch.js'

/** Vitest's fake timers, counted, with a clock (`now`) that may be pushed off true by `skew`. */
function countedTimers() {
  const calls = { setTimeout: 0, clearTimeout: 0 }
  let skew = 0
  const timers: Timers = {
    setTimeout: (callback, ms) => (calls.setTimeout++, setTimeout(callback, ms)),
    clearTimeout: (handle) => (calls.clearTimeout++, clearTimeout(handle as ReturnType<typeof setTimeout>)),
    now: () => Date.now() + skew,
  }
  return { timers, calls, jumpClock: (ms: number) => (skew += ms) }
}

function watched(timers: Timers) {
  const silent: string[] = []
  const watch = createSilenceWatch(timers, (message) => silent.push(message))
  return { watch, silent }
}

describe('createSilenceWatch', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('does not touch a timer per chunk: repeating the same window only notes the time', () => {
    const { timers, calls } = countedTimers()
    const { watch } = watched(timers)
    watch.watch(1000, 'silent')
    for (let chunk = 0; chunk < 100; chunk++) watch.watch(1000, 'silent')
    expect(calls).toEqual({ setTimeout: 1, clearTimeout: 0 })
  })

  it('still goes silent exactly one window after the last chunk, with the latest message', async () => {
    const { timers } = countedTimers()
    const { watch, silent } = watched(timers)
    watch.watch(1000, 'first')
    await vi.advanceTimersByTimeAsync(900)
    watch.watch(1000, 'second')
    await vi.advanceTimersByTimeAsync(999)
    expect(silent).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(silent).toEqual(['second'])
  })

  it('re-arms at once for a different window (a handshake deadline, then the heartbeat)', async () => {
    const { timers, calls } = countedTimers()
    const { watch, silent } = watched(timers)
    watch.watch(5000, 'handshake')
    watch.watch(1000, 'heartbeat')
    expect(calls).toEqual({ setTimeout: 2, clearTimeout: 1 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(silent).toEqual(['heartbeat'])
  })

  it('never goes silent while chunks keep coming, even when the clock jumps forward', async () => {
    const { timers, jumpClock } = countedTimers()
    const { watch, silent } = watched(timers)
    watch.watch(1000, 'silent')
    for (let step = 0; step < 20; step++) {
      await vi.advanceTimersByTimeAsync(400)
      watch.watch(1000, 'silent')
      jumpClock(60 * 60 * 1000)
    }
    expect(silent).toEqual([])
    // And once they stop, silence is still seen, within two windows.
    await vi.advanceTimersByTimeAsync(2000)
    expect(silent).toEqual(['silent'])
  })

  it('goes silent at most two windows after the last chunk when the clock jumps back, not an hour later', async () => {
    const { timers, jumpClock } = countedTimers()
    const { watch, silent } = watched(timers)
    watch.watch(1000, 'silent')
    await vi.advanceTimersByTimeAsync(500)
    watch.watch(1000, 'silent')
    jumpClock(-60 * 60 * 1000)
    await vi.advanceTimersByTimeAsync(1500)
    expect(silent).toEqual(['silent'])
  })

  it('stop() cancels a deadline that was pushed back', async () => {
    const { timers } = countedTimers()
    const { watch, silent } = watched(timers)
    watch.watch(1000, 'silent')
    await vi.advanceTimersByTimeAsync(500)
    watch.watch(1000, 'silent')
    watch.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(silent).toEqual([])
  })

  it('without a clock, re-arms on every watch as before', async () => {
    const { timers, calls } = countedTimers()
    const { watch, silent } = watched({ setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout })
    watch.watch(1000, 'silent')
    await vi.advanceTimersByTimeAsync(900)
    watch.watch(1000, 'silent')
    expect(calls).toEqual({ setTimeout: 2, clearTimeout: 1 })
    await vi.advanceTimersByTimeAsync(999)
    expect(silent).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(silent).toEqual(['silent'])
  })
})
