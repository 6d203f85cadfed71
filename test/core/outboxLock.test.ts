import { afterEach, describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import type { SendLockEnvironment } from '../../src/core/records/outboxLock.js'
import { createSendLock } from '../../src/core/records/outboxLock.js'
import { pollUntil } from '../support/poll.js'

// Node 20 has BroadcastChannel but no navigator.locks: the Web Locks path runs in Chromium
// (test/e2e/outboxLock.test.ts). Two BroadcastChannels on one name in one process deliver to
// each other as two tabs' channels do, so two lock instances here stand for two tabs.

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {}
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Sends that note when they start and end, and how many ran at once. */
function sends() {
  const log: string[] = []
  let running = 0
  let mostAtOnce = 0
  const send = (label: string, work: () => Promise<void> = () => new Promise((r) => setTimeout(r, 20))) => async () => {
    running++
    mostAtOnce = Math.max(mostAtOnce, running)
    log.push(`start ${label}`)
    try {
      await work()
    } finally {
      running--
      log.push(`end ${label}`)
    }
  }
  return { log, send, mostAtOnce: () => mostAtOnce }
}

/** Listens on a lock's channel as a third tab would, counting what the contenders say. */
const spies: BroadcastChannel[] = []
function spyOn(name: string): { heard: (kind: string) => number } {
  const channel = new BroadcastChannel(`syncline:${name}`)
  spies.push(channel)
  const counts = new Map<string, number>()
  channel.onmessage = (event: MessageEvent<{ kind: string }>) => counts.set(event.data.kind, (counts.get(event.data.kind) ?? 0) + 1)
  return { heard: (kind) => counts.get(kind) ?? 0 }
}
afterEach(() => {
  for (const channel of spies.splice(0)) channel.close()
})

let lockNames = 0
const uniqueName = (): string => `outbox-${++lockNames}`

describe.each<[string, SendLockEnvironment]>([
  ['in-process mutex', { locks: null, BroadcastChannel: null }],
  ['BroadcastChannel lease', { locks: null, leaseMs: 300 }],
])('send lock: %s', (mode, env) => {
  const overBroadcast = mode === 'BroadcastChannel lease'
  /** Resolves once a second caller is queued behind the holder (at once for the in-process queue). */
  const queued = async (spy: { heard: (kind: string) => number }): Promise<void> => {
    if (overBroadcast) await pollUntil(() => spy.heard('claim') >= 2 && spy.heard('held') >= 1, 'the second claim, answered by the holder')
  }

  it('runs one send at a time across two lock instances, each caller once, in turn', async () => {
    const [a, b] = [createSendLock(env), createSendLock(env)]
    const { log, send, mostAtOnce } = sends()
    const name = uniqueName()
    const results = await Promise.all([a(name, send('a1')), b(name, send('b1')), a(name, send('a2')), b(name, send('b2'))])
    expect(results).toEqual([true, true, true, true])
    expect(mostAtOnce()).toBe(1)
    expect(log.filter((line) => line.startsWith('start')).sort()).toEqual(['start a1', 'start a2', 'start b1', 'start b2'])
  })

  it('with ifAvailable, resolves false without running while another holds the lock, and true once it is free', async () => {
    const [a, b] = [createSendLock(env), createSendLock(env)]
    const { log, send } = sends()
    const name = uniqueName()
    const hold = deferred()
    const holder = a(name, send('a', () => hold.promise))
    await pollUntil(() => log.includes('start a'), 'the holder to start')
    expect(await b(name, send('b'), { ifAvailable: true })).toBe(false)
    expect(log).toEqual(['start a'])
    hold.resolve()
    expect(await holder).toBe(true)
    expect(await b(name, send('b'), { ifAvailable: true })).toBe(true)
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('stops waiting when the signal aborts: resolves false, never runs, and leaves the lock usable', async () => {
    const [a, b] = [createSendLock(env), createSendLock(env)]
    const { log, send } = sends()
    const name = uniqueName()
    const spy = spyOn(name)
    const hold = deferred()
    const holder = a(name, send('a', () => hold.promise))
    await pollUntil(() => log.includes('start a'), 'the holder to start')
    const controller = new AbortController()
    const waiter = b(name, send('b'), { signal: controller.signal })
    await queued(spy)
    controller.abort()
    expect(await waiter).toBe(false)
    hold.resolve()
    expect(await holder).toBe(true)
    expect(await b(name, send('c'))).toBe(true)
    expect(log).toEqual(['start a', 'end a', 'start c', 'end c'])
    // An already aborted signal does not even try.
    expect(await a(name, send('d'), { signal: AbortSignal.abort() })).toBe(false)
  })

  it("passes send's own error to its caller and releases the lock for the next one", async () => {
    const [a, b] = [createSendLock(env), createSendLock(env)]
    const { log, send } = sends()
    const name = uniqueName()
    const spy = spyOn(name)
    const hold = deferred()
    const failing = a(
      name,
      send('a', async () => {
        await hold.promise
        throw new SyncError('network', 'offline')
      }),
    )
    await pollUntil(() => log.includes('start a'), 'the holder to start')
    const next = b(name, send('b'))
    await queued(spy)
    hold.resolve()
    await expect(failing).rejects.toMatchObject({ code: 'network' })
    expect(await next).toBe(true)
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b'])
  })
})

/** A tab's channel that can be made to vanish: after `vanish()` it says nothing more, as a closed tab. */
function vanishingChannel(): { Channel: typeof BroadcastChannel; vanish: () => void } {
  let vanished = false
  class VanishingChannel extends BroadcastChannel {
    override postMessage(message: unknown): void {
      if (!vanished) super.postMessage(message)
    }
  }
  return { Channel: VanishingChannel, vanish: () => void (vanished = true) }
}

describe('send lock: BroadcastChannel lease expiry', () => {
  it('keeps a renewing holder past its lease, and lets a waiter in once the holder vanishes mid-send', async () => {
    const leaseMs = 300
    const { Channel, vanish } = vanishingChannel()
    const a = createSendLock({ locks: null, BroadcastChannel: Channel, leaseMs })
    const b = createSendLock({ locks: null, leaseMs })
    const { log, send } = sends()
    const name = uniqueName()
    const spy = spyOn(name)
    const hold = deferred()
    const holder = a(name, send('a', () => hold.promise))
    await pollUntil(() => log.includes('start a'), 'the holder to start')
    const waiter = b(name, send('b'))
    // Five `held` (the first at once, then one every leaseMs / 3) span more than one lease.
    await pollUntil(() => spy.heard('held') >= 5, 'the holder to renew past one lease')
    expect(log).toEqual(['start a'])

    vanish()
    await pollUntil(() => log.includes('start b'), 'the waiter to take the expired lease')
    expect(await waiter).toBe(true)
    // Taken by expiry, not by release: the vanished holder's send is still running.
    expect(log).toEqual(['start a', 'start b', 'end b'])
    hold.resolve()
    expect(await holder).toBe(true)
  })

  it('ignores foreign messages on its channel', async () => {
    const name = uniqueName()
    const stranger = new BroadcastChannel(`syncline:${name}`)
    spies.push(stranger)
    const lock = createSendLock({ locks: null, leaseMs: 300 })
    const { log, send } = sends()
    const result = lock(name, send('a'))
    for (const junk of [null, 'held', { kind: 'held' }, { kind: 'held', id: '0' }, { kind: 'other', id: 0 }]) stranger.postMessage(junk)
    expect(await result).toBe(true)
    expect(log).toEqual(['start a', 'end a'])
  })
})

describe('send lock: machinery failures fall back to the in-process mutex', () => {
  it('when Web Locks refuse the request (an opaque origin throws SecurityError)', async () => {
    const refusing = { request: () => Promise.reject(new DOMException('denied', 'SecurityError')) } as unknown as LockManager
    const [a, b] = [createSendLock({ locks: refusing }), createSendLock({ locks: null, BroadcastChannel: null })]
    const { send, mostAtOnce } = sends()
    const name = uniqueName()
    expect(await Promise.all([a(name, send('a')), b(name, send('b')), a(name, send('c'))])).toEqual([true, true, true])
    expect(mostAtOnce()).toBe(1)
  })

  it('when BroadcastChannel cannot be made', async () => {
    class Broken extends BroadcastChannel {
      constructor(name: string) {
        super(name)
        this.close()
        throw new DOMException('no channels here', 'SecurityError')
      }
    }
    const lock = createSendLock({ locks: null, BroadcastChannel: Broken })
    const { log, send } = sends()
    expect(await lock(uniqueName(), send('a'))).toBe(true)
    expect(log).toEqual(['start a', 'end a'])
  })

  it('refuses a lease that is not a positive number with a bad-input SyncError', () => {
    for (const leaseMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createSendLock({ leaseMs })).toThrow(expect.objectContaining({ code: 'bad-input' }))
    }
  })
})
