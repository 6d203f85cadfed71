import { describe, expect, it } from 'vitest'
import { SyncError } from '../../../src/core/errors.js'
import type { SaveProgress } from '../../../src/core/docs/saveWaiters.js'
import { SaveWaiters } from '../../../src/core/docs/saveWaiters.js'

const progress = (saved: Partial<SaveProgress['saved']>, rest: Partial<Omit<SaveProgress, 'saved'>> = {}): SaveProgress => ({
  saved: { local: false, server: false, ...saved },
  closed: false,
  cacheDone: false,
  ...rest,
})

describe('SaveWaiters', () => {
  it('resolves a wait only once its own target has the changes', async () => {
    const waiters = new SaveWaiters('automerge:doc')
    let server = false
    let local = false
    void waiters.wait('server').then(() => (server = true))
    void waiters.wait('local').then(() => (local = true))
    waiters.settle(progress({ local: true }))
    await Promise.resolve()
    expect({ local, server }).toEqual({ local: true, server: false })
    waiters.settle(progress({ local: true, server: true }))
    await Promise.resolve()
    expect(server).toBe(true)
    expect(waiters.size).toBe(0)
  })

  it("rejects a server wait with code 'closed' when the store closes, a local one only when its cache writes are done", async () => {
    const waiters = new SaveWaiters('automerge:doc')
    const server = waiters.wait('server')
    const local = waiters.wait('local')
    waiters.settle(progress({}, { closed: true }))
    await expect(server).rejects.toSatisfy((error) => error instanceof SyncError && error.code === 'closed')
    expect(waiters.size).toBe(1)
    waiters.settle(progress({}, { closed: true, cacheDone: true }))
    await expect(local).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining('automerge:doc') })
  })

  it('a timed-out wait leaves nothing behind', async () => {
    const waiters = new SaveWaiters('automerge:doc')
    await expect(waiters.wait('server', { timeoutMs: 1 })).rejects.toMatchObject({ code: 'timeout' })
    expect(waiters.size).toBe(0)
  })
})
