import { describe, expect, it } from 'vitest'
import type { RampStep } from '../../bench/lib/capacityVerdict.js'
import { judge, rampEnd, saturated, sustainedAt } from '../../bench/lib/capacityVerdict.js'

const step = (rate: number, p99: number, extra: Partial<RampStep> = {}): RampStep => ({
  rate,
  p99,
  undelivered: 0,
  serverCpuShare: 0.3,
  generatorCpuShares: [0.2, 0.2],
  maxLateMs: 1,
  ...extra,
})
const options = { factor: 10, strictMs: 50, looseMs: 500 }

describe('case 10 verdict', () => {
  it('sustains up to the first failing step, and says when nothing failed (a lower bound)', () => {
    const steps = [step(25, 20), step(50, 30), step(100, 80), step(200, 20)]
    expect(sustainedAt(steps, 50)).toEqual({ rate: 50, failed: steps[2] })
    expect(sustainedAt(steps.slice(0, 2), 50)).toEqual({ rate: 50, failed: null })
    expect(sustainedAt([step(25, 10, { undelivered: 1 })], 50).rate).toBe(0)
  })

  it('does not call the goal met when stock sustains nothing even at the loose bar', () => {
    const stock = [step(25, 900)]
    const verdict = judge(sustainedAt([step(25, 10), step(50, 80)], 50), sustainedAt(stock, 50), sustainedAt(stock, 500), options)
    // The old check (syncline >= 10 × 0 && syncline > 0) called this met.
    expect(verdict.met).toBeNull()
  })

  it('judges against stock at the loose bar only when stock sustains none at the strict one', () => {
    const stock = [step(25, 60), step(50, 120), step(100, 700)]
    const ours = sustainedAt([step(25, 10), step(300, 20), step(400, 20), step(600, 90)], 50)
    const verdict = judge(ours, sustainedAt(stock, 50), sustainedAt(stock, 500), options)
    expect(verdict).toMatchObject({ met: false, against: 'loose' })
    const strictStock = [step(25, 40), step(50, 60)]
    expect(judge(ours, sustainedAt(strictStock, 50), sustainedAt(strictStock, 500), options)).toMatchObject({ met: true, against: 'strict' })
  })

  it('never proves the goal against a stock figure that is only a lower bound', () => {
    const stock = [step(25, 100)]
    const ours = sustainedAt([step(25, 10), step(300, 20), step(400, 90)], 50)
    expect(judge(ours, sustainedAt(stock, 50), sustainedAt(stock, 500), options).met).toBeNull()
  })

  it('names who was out of CPU at the step that ended the ramp', () => {
    expect(saturated(step(400, 90, { serverCpuShare: 0.6, generatorCpuShares: [0.95, 0.4] }), 2)).toBe('generators')
    expect(saturated(step(400, 90, { serverCpuShare: 0.97, generatorCpuShares: [0.5, 0.4] }), 2)).toBe('server')
    expect(saturated(step(400, 90, { serverCpuShare: 0.8, generatorCpuShares: [0.5, 0.5] }), 2)).toBe('machine')
    expect(saturated(step(400, 90, { serverCpuShare: 0.3, generatorCpuShares: [0.2, 0.2] }), 2)).toBeNull()
    const text = rampEnd('syncline', [step(300, 20), step(400, 90, { serverCpuShare: 0.6, generatorCpuShares: [0.95, 0.4] })], 50, 2)
    expect(text).toContain('GENERATORS, not the server')
    expect(rampEnd('syncline', [step(300, 20)], 50, 2)).toContain('lower bound')
  })
})
