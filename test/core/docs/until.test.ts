import { describe, expect, it } from 'vitest'
import { until as untilOnServer } from '../../server/docs/helpers.js'
import { until } from './helpers.js'

/**
 * The wait helpers must not pass before anything has happened: snapshot fields such as
 * `error` start as null, and a helper that took null for a value let six waits pass at once
 * (their assertions then failed under CPU load, and retries hid it).
 */
describe('until()', () => {
  it('keeps waiting on null, undefined and false, and names what it waited for', async () => {
    for (const nothing of [null, undefined, false]) {
      await expect(until(() => nothing, 'the thing', 30)).rejects.toThrow('Timed out waiting for the thing')
      await expect(untilOnServer(() => nothing, 30, 'the thing')).rejects.toThrow('Timed out waiting for the thing')
    }
  })

  it('resolves with the first value that is there, including 0 and an empty string', async () => {
    let calls = 0
    await expect(until(() => (++calls < 3 ? null : { code: 'protocol' }), 'the error')).resolves.toEqual({ code: 'protocol' })
    await expect(until(() => 0)).resolves.toBe(0)
    await expect(untilOnServer(() => '')).resolves.toBe('')
  })
})
