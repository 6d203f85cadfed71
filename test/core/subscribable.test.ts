import { describe, expect, it } from 'vitest'
import { Listeners } from '../../src/core/subscribable.js'

describe('Listeners', () => {
  it('calls the listeners subscribed when notify began, even one unsubscribed meanwhile, and not one added meanwhile', () => {
    const listeners = new Listeners()
    const calls: string[] = []
    let unsubscribeB = (): void => {}
    listeners.subscribe(() => {
      calls.push('a')
      unsubscribeB()
      listeners.subscribe(() => calls.push('c'))
    })
    unsubscribeB = listeners.subscribe(() => calls.push('b'))
    listeners.notify()
    expect(calls).toEqual(['a', 'b'])
    calls.length = 0
    listeners.notify()
    // b is gone; a subscribes another c-listener (a new function) each time, after this round's list.
    expect(calls).toEqual(['a', 'c'])
    expect(listeners.size).toBe(3)
  })

  it('stops calling a listener once unsubscribed, and unsubscribing twice is harmless', () => {
    const listeners = new Listeners()
    let count = 0
    const unsubscribe = listeners.subscribe(() => count++)
    listeners.notify()
    unsubscribe()
    unsubscribe()
    listeners.notify()
    expect(count).toBe(1)
    expect(listeners.size).toBe(0)
  })
})
