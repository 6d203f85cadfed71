import { describe, expect, it } from 'vitest'
import { defaultEnvironment } from '../../../src/core/environment.js'
import { MESSAGE_SLICE_MS, PacedInbox } from '../../../src/core/docs/pacedInbox.js'
import { pollUntil } from '../../support/poll.js'

/** Handling that takes `ms` of this task, as applying a large sync message does. */
function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

describe('PacedInbox', () => {
  it('handles a lone message at once, in the same task', () => {
    const handled: number[] = []
    const inbox = new PacedInbox<number>((message) => handled.push(message), defaultEnvironment)
    inbox.push(1)
    expect(handled).toEqual([1])
    expect(inbox.waiting).toBe(0)
  })

  it('leaves what one socket read brings past the slice to later tasks, in order', async () => {
    const handled: number[] = []
    const tasks = new Set<number>()
    let task = 0
    const ticker = setInterval(() => task++, 0)
    const inbox = new PacedInbox<number>((message) => {
      handled.push(message)
      tasks.add(task)
      busy(MESSAGE_SLICE_MS / 2)
    }, defaultEnvironment)
    // As `ws` hands over the frames of one read: all in one task.
    for (let i = 0; i < 20; i++) inbox.push(i)
    expect(handled.length).toBeLessThan(20)
    expect(inbox.waiting).toBe(20 - handled.length)
    await pollUntil(() => handled.length === 20, 'every message to be handled')
    clearInterval(ticker)
    expect(handled).toEqual([...Array(20).keys()])
    expect(tasks.size).toBeGreaterThan(1)
  })

  it('gives the socket reads of one event-loop turn one slice between them, not one each', async () => {
    const handled: number[] = []
    // Each message takes 3/5 of a slice on this clock: a spin on the real clock would run
    // longer whenever the machine is loaded, and the second message would wait too.
    let clock = 0
    const inbox = new PacedInbox<number>((message) => {
      handled.push(message)
      clock += (MESSAGE_SLICE_MS * 3) / 5
    }, defaultEnvironment, MESSAGE_SLICE_MS, () => clock)
    // Node hands each socket read to its own callback, with microtasks after it, but runs
    // every read that is ready (and the due timers) before the loop turns again.
    inbox.push(1)
    await Promise.resolve()
    inbox.push(2)
    await Promise.resolve()
    // 1.2 slices spent in this turn: the third read waits for a later one.
    inbox.push(3)
    expect(handled).toEqual([1, 2])
    expect(inbox.waiting).toBe(1)
    await pollUntil(() => handled.length === 3, 'the third message to be handled')
    expect(handled).toEqual([1, 2, 3])
  })

  it('ends a slice with its task, without waiting for a timer (a background tab runs timers late)', async () => {
    const handled: number[] = []
    let clock = 0
    // Timers that never fire, as in a background tab that has not run its timers yet.
    const lateTimers = { setTimeout: () => 0, clearTimeout: () => {} }
    const inbox = new PacedInbox<number>((message) => {
      handled.push(message)
      clock += MESSAGE_SLICE_MS * 2
    }, lateTimers, MESSAGE_SLICE_MS, () => clock)
    inbox.push(1)
    await new Promise((resolve) => setTimeout(resolve, 5)) // a later task
    // The first task spent two slices; this is a new task, so its lone message goes at once.
    inbox.push(2)
    expect(handled).toEqual([1, 2])
    expect(inbox.waiting).toBe(0)
  })

  it('drops what waits when cleared', async () => {
    const handled: number[] = []
    const inbox = new PacedInbox<number>((message) => {
      handled.push(message)
      busy(MESSAGE_SLICE_MS)
    }, defaultEnvironment)
    for (let i = 0; i < 5; i++) inbox.push(i)
    const before = handled.length
    expect(before).toBeLessThan(5)
    inbox.clear()
    expect(inbox.waiting).toBe(0)
    let later = false
    setTimeout(() => (later = true), 20)
    await pollUntil(() => later === true, 'a later task')
    expect(handled.length).toBe(before)
  })
})
