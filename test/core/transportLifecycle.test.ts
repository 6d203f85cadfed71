import { describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import { createKeepaliveWatch } from '../../src/core/keepaliveWatch.js'
import type { Timers } from '../../src/core/silenceWatch.js'
import { createTransportLifecycle } from '../../src/core/transportLifecycle.js'

const unexpected = (thrown: unknown): SyncError => new SyncError('network', `unexpected throw: ${String(thrown)}`)

function lifecycle(signal?: AbortSignal) {
  const reports: Array<{ error: SyncError; retry: boolean }> = []
  const cleanups: string[] = []
  const life = createTransportLifecycle({ signal, finished: (error, retry) => reports.push({ error, retry }) })
  life.onRelease(() => cleanups.push('first'))
  life.onRelease(() => cleanups.push('second'))
  return { life, reports, cleanups }
}

/** Timers a test fires by hand: no waiting on the clock. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let next = 0
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      pending.set(++next, { callback, ms })
      return next
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  }
  const fire = (): void => {
    const entries = [...pending.entries()]
    pending.clear()
    for (const [, { callback }] of entries) callback()
  }
  return { timers, pending, fire }
}

describe('transport lifecycle', () => {
  it('finishes exactly once: one report, cleanups once and in order, later errors ignored', () => {
    const { life, reports, cleanups } = lifecycle()
    life.finish(new SyncError('network', 'first'))
    life.finish(new SyncError('protocol', 'second'), false)
    life.close()
    expect(reports).toEqual([{ error: expect.objectContaining({ code: 'network', message: 'first' }), retry: true }])
    expect(cleanups).toEqual(['first', 'second'])
    expect(life.done).toBe(true)
  })

  it('passes retry: false on to the owner', () => {
    const { life, reports } = lifecycle()
    life.finish(new SyncError('bad-input', 'cannot work'), false)
    expect(reports.map((report) => [report.error.code, report.retry])).toEqual([['bad-input', false]])
  })

  it('closes quietly, idempotently, even before it opened; an error after that is not reported', () => {
    const { life, reports, cleanups } = lifecycle()
    life.close()
    life.close()
    expect(life.open()).toBe(false)
    life.finish(new SyncError('network', 'late'))
    expect(reports).toEqual([])
    expect(cleanups).toEqual(['first', 'second'])
    expect(life.opened).toBe(false)
  })

  it('opens once, and not after the end', () => {
    const { life } = lifecycle()
    expect(life.open()).toBe(true)
    expect(life.open()).toBe(false)
    expect(life.opened).toBe(true)
  })

  it('closes quietly when the signal aborts during the opening, and runs a cleanup added after that at once', async () => {
    const abort = new AbortController()
    const { life, reports, cleanups } = lifecycle(abort.signal)
    let resume: () => void = () => {}
    let reachedEnd = false
    life.run(async () => {
      await new Promise<void>((resolve) => (resume = resolve))
      if (life.done) return
      reachedEnd = true
    }, unexpected)
    abort.abort()
    expect(cleanups).toEqual(['first', 'second'])
    resume()
    await Promise.resolve()
    expect(reachedEnd).toBe(false)
    expect(life.open()).toBe(false)
    let late = false
    life.onRelease(() => (late = true))
    expect(late).toBe(true)
    expect(reports).toEqual([])
  })

  it('is done from the start when the signal is already aborted, and never runs the body', () => {
    const abort = new AbortController()
    abort.abort()
    const { life, reports } = lifecycle(abort.signal)
    let ran = false
    life.run(async () => {
      ran = true
    }, unexpected)
    expect(life.done).toBe(true)
    expect(ran).toBe(false)
    expect(reports).toEqual([])
  })

  it('turns a throw out of the body into one finish, through the failure mapping', async () => {
    const reports: SyncError[] = []
    const life = createTransportLifecycle({ finished: (error) => reports.push(error) })
    life.run(async () => {
      throw new Error('owner callback threw')
    }, (thrown) => new SyncError('network', `Mapped: ${(thrown as Error).message}`))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(reports.map((error) => error.message)).toEqual(['Mapped: owner callback threw'])
  })
})

describe('keepalive watch', () => {
  it('never times out a server that has not shown it keeps the socket busy', () => {
    const { life, reports } = lifecycle()
    const { timers, pending } = manualTimers()
    const watch = createKeepaliveWatch(life, { timers, heartbeatMs: 100, silentMessage: (ms) => `silent ${ms}` })
    watch.heard()
    expect(pending.size).toBe(0)
    expect(watch.windowMs).toBe(null)
    expect(reports).toEqual([])
  })

  it('after keepsBusy, silence past the window finishes the attempt as a retried network error', () => {
    const { life, reports } = lifecycle()
    const { timers, pending, fire } = manualTimers()
    const watch = createKeepaliveWatch(life, { timers, heartbeatMs: 100, silentMessage: (ms) => `silent ${ms}` })
    watch.keepsBusy(80)
    watch.keepsBusy(10) // the first call sets the window
    watch.heard()
    expect(watch.windowMs).toBe(160)
    expect([...pending.values()].map((timer) => timer.ms)).toEqual([160])
    fire()
    expect(reports.map((report) => [report.error.code, report.error.message, report.retry])).toEqual([['network', 'silent 160', true]])
  })

  it('stops its timer when the attempt ends, and arms nothing afterwards', () => {
    const { life } = lifecycle()
    const { timers, pending } = manualTimers()
    const watch = createKeepaliveWatch(life, { timers, heartbeatMs: 100, silentMessage: () => 'silent' })
    watch.deadline(50, 'too slow')
    expect(pending.size).toBe(1)
    life.close()
    expect(pending.size).toBe(0)
    watch.keepsBusy(undefined)
    watch.heard()
    watch.deadline(50, 'too slow')
    expect(pending.size).toBe(0)
  })
})
