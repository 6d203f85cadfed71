import { describe, expect, it } from 'vitest'
import { PendingAcknowledgements } from '../../../src/server/docs/pendingAcknowledgements.js'
import type { PreparedWrite } from '../../../src/server/docs/saveLoop.js'
import { SaveLoop } from '../../../src/server/docs/saveLoop.js'
import { until } from './helpers.js'

/** A write the test finishes by hand, so "a change arrives while a write runs" is exact. */
interface HeldWrite {
  version: number
  finish: (error?: Error) => void
}

function loop(debounceMs = 1): { saves: SaveLoop; writes: HeldWrite[]; stored: number[]; failed: number; settled: () => number; bump: () => void } {
  let version = 0
  let settledCount = 0
  const writes: HeldWrite[] = []
  const stored: number[] = []
  const state = { failed: 0 }
  const saves = new SaveLoop({
    debounceMs,
    prepare: (): PreparedWrite => {
      const holds = version
      return {
        write: () => new Promise<void>((resolve, reject) => writes.push({ version: holds, finish: (error) => (error ? reject(error) : resolve()) })),
        stored: () => stored.push(holds),
        failed: () => state.failed++,
      }
    },
    onSettled: () => settledCount++,
  })
  return {
    saves,
    writes,
    stored,
    get failed() {
      return state.failed
    },
    settled: () => settledCount,
    bump: () => void version++,
  }
}

describe('SaveLoop', () => {
  it('runs one write at a time; changes made during it go in the next one, at once', async () => {
    const run = loop()
    run.bump()
    run.saves.schedule(0)
    await until(() => run.writes.length === 1, 3000, 'the first write to start')
    run.bump()
    run.saves.schedule(0)
    run.bump()
    run.saves.schedule(0)
    expect(run.writes.length).toBe(1)
    run.writes[0]!.finish()
    await until(() => run.writes.length === 2, 3000, 'the second write to start')
    expect(run.writes[1]!.version).toBe(3)
    run.writes[1]!.finish()
    await until(() => run.settled() === 1, 3000, 'the loop to settle')
    expect(run.stored).toEqual([1, 3])
    expect(run.saves.idle).toBe(true)
  })

  it('keeps the changes of a failed write and writes them again', async () => {
    const run = loop(1)
    run.bump()
    run.saves.schedule(0)
    await until(() => run.writes.length === 1, 3000, 'the first write to start')
    run.writes[0]!.finish(new Error('disk full'))
    await until(() => run.writes.length === 2, 3000, 'the retry to start')
    expect(run.failed).toBe(1)
    expect(run.saves.idle).toBe(false)
    run.writes[1]!.finish()
    await until(() => run.settled() === 1, 3000, 'the loop to settle after the retry')
    expect(run.stored).toEqual([1])
  })

  it('flush writes pending changes without waiting for the timer', async () => {
    const run = loop(60_000)
    run.bump()
    run.saves.schedule()
    const flushed = run.saves.flush()
    await until(() => run.writes.length === 1, 3000, 'the flushed write to start')
    run.writes[0]!.finish()
    await flushed
    expect(run.stored).toEqual([1])
  })
})

describe('PendingAcknowledgements', () => {
  it('a write acknowledges the peers whose latest change it holds, and no later one', () => {
    const pending = new PendingAcknowledgements<string>([])
    pending.changed('a')
    pending.changed('b')
    const covers = pending.covered
    pending.changed('b') // b changes again while the write runs
    pending.changed('c')
    expect(pending.takeCovered(covers)).toEqual(['a'])
    expect([pending.has('a'), pending.has('b'), pending.has('c')]).toEqual([false, true, true])
    expect(pending.takeCovered(pending.covered).sort()).toEqual(['b', 'c'])
    expect(pending.size).toBe(0)
  })
})
