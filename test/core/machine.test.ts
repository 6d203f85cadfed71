import { describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import type { MachineEvent, MachineState } from '../../src/core/machine.js'
import { backoffDelay, initialMachineState, transition } from '../../src/core/machine.js'

const run = (events: MachineEvent[], from: MachineState = initialMachineState): MachineState[] => {
  const states: MachineState[] = []
  let state = from
  for (const event of events) {
    state = transition(state, event)
    states.push(state)
  }
  return states
}
const network = new SyncError('network', 'gone')

describe('transition', () => {
  it('walks idle → connecting → snapshot → live → reconnecting → connecting → closed', () => {
    const states = run([
      { type: 'start' },
      { type: 'opened' },
      { type: 'caughtUp' },
      { type: 'lost', error: network, retry: true },
      { type: 'retry' },
      { type: 'stop' },
    ])
    expect(states.map((s) => s.status)).toEqual(['connecting', 'snapshot', 'live', 'reconnecting', 'connecting', 'closed'])
    expect(states[3]?.error).toBe(network)
  })

  it('counts failed attempts and resets the count when live is reached', () => {
    const states = run([
      { type: 'start' },
      { type: 'lost', error: network, retry: true },
      { type: 'retry' },
      { type: 'lost', error: network, retry: true },
      { type: 'retry' },
      { type: 'opened' },
      { type: 'caughtUp' },
    ])
    expect(states.map((s) => s.attempt)).toEqual([0, 1, 1, 2, 2, 2, 0])
    expect(states.at(-1)?.error).toBeNull()
  })

  it('parks auth failures in closed instead of retrying', () => {
    for (const code of ['unauthorized', 'forbidden']) {
      const [, lost] = run([{ type: 'start' }, { type: 'lost', error: new SyncError(code, 'no'), retry: true }])
      expect(lost?.status).toBe('closed')
      expect(lost?.error?.code).toBe(code)
    }
  })

  it('ends in closed when retry is off', () => {
    const [, , lost] = run([{ type: 'start' }, { type: 'opened' }, { type: 'lost', error: null, retry: false }])
    expect(lost?.status).toBe('closed')
  })

  it('restarts after stop, and ignores events that do not fit the state', () => {
    const closed = run([{ type: 'start' }, { type: 'stop' }]).at(-1)!
    expect(transition(closed, { type: 'start' }).status).toBe('connecting')
    expect(transition(initialMachineState, { type: 'opened' })).toBe(initialMachineState)
    expect(transition(initialMachineState, { type: 'caughtUp' })).toBe(initialMachineState)
    const live = run([{ type: 'start' }, { type: 'opened' }, { type: 'caughtUp' }]).at(-1)!
    expect(transition(live, { type: 'start' })).toBe(live)
    expect(transition(live, { type: 'retry' })).toBe(live)
  })

  it('keeps the status on a problem but surfaces the error', () => {
    const live = run([{ type: 'start' }, { type: 'opened' }, { type: 'caughtUp' }]).at(-1)!
    const problem = new SyncError('protocol', 'bad frame')
    const next = transition(live, { type: 'problem', error: problem })
    expect(next.status).toBe('live')
    expect(next.error).toBe(problem)
  })
})

describe('backoffDelay', () => {
  it('uses full jitter between 0 and the exponential ceiling', () => {
    expect(backoffDelay(1, {}, () => 0)).toBe(0)
    expect(backoffDelay(1, {}, () => 0.999999)).toBe(999)
    expect(backoffDelay(3, {}, () => 0.5)).toBe(2000)
    expect(backoffDelay(3, { initialDelayMs: 100 }, () => 0.5)).toBe(200)
  })

  it('caps the ceiling at maxDelayMs', () => {
    expect(backoffDelay(30, {}, () => 0.999999)).toBe(29_999)
    expect(backoffDelay(30, { maxDelayMs: 5000 }, () => 0.5)).toBe(2500)
  })

  it('spreads real random delays across the range', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(4, { initialDelayMs: 1000 }))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...delays)).toBeLessThan(8000)
    expect(new Set(delays).size).toBeGreaterThan(100)
  })
})
