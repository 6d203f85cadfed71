import { describe, expect, it } from 'vitest'
import { SendBudget } from '../../src/server/sendBudget.js'

/** The accounting behind `maxSendBufferBytes`; the sockets themselves are in slowConsumers.test.ts. */
describe('SendBudget', () => {
  it('counts bytes until their write callback, and drops only the largest holder once over budget', () => {
    const budget = new SendBudget(1000)
    const dropped: string[] = []
    const fast = budget.open(() => dropped.push('fast'))
    const slow = budget.open(() => dropped.push('slow'))
    const pendingCallbacks: Array<() => void> = []
    const hold = (done: () => void) => void pendingCallbacks.push(done)

    fast.write(300, (done) => done())
    expect(budget.totalBytes).toBe(0)
    slow.write(600, hold)
    fast.write(300, hold)
    expect(budget.totalBytes).toBe(900)
    expect(dropped).toEqual([])

    slow.write(200, hold)
    // 1,100 > 1,000: the slow account (800) goes, the fast one (300) stays.
    expect(dropped).toEqual(['slow'])
    expect(budget.totalBytes).toBe(300)
    // Late callbacks of a dropped account change nothing; a callback runs once.
    for (const done of pendingCallbacks) done()
    pendingCallbacks[1]!()
    expect(budget.totalBytes).toBe(0)
    expect(fast.pendingBytes).toBe(0)
  })

  it('gives back what a closed connection held, and a budget of 0 never drops', () => {
    const budget = new SendBudget(100)
    const account = budget.open(() => {})
    account.write(50, () => {})
    account.close()
    expect(budget.totalBytes).toBe(0)

    const unlimited = new SendBudget(0)
    let drops = 0
    unlimited.open(() => drops++).write(10_000, () => {})
    expect(drops).toBe(0)
  })
})
