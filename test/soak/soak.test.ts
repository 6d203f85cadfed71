import { describe, expect, it } from 'vitest'
import { passed, runSoak } from './harness.js'
import { reportLines } from './report.js'
import { randomSeed } from './rng.js'

/**
 * 30 seconds of the fault-injection soak (`npm run soak` runs longer ones), with a fresh
 * seed each time: a failure prints the seed, and `npm run soak -- --seed <S> --seconds 30`
 * replays its choices. Without SYNCLINE_TEST_POSTGRES_URL the two-instance world is skipped.
 */
const POSTGRES_URL = process.env.SYNCLINE_TEST_POSTGRES_URL
const SECONDS = 30

describe('soak', () => {
  it(`loses and diverges nothing through ${SECONDS} s of network and process faults`, async () => {
    const seed = randomSeed()
    console.log(`soak: seed ${seed}`)
    if (POSTGRES_URL === undefined) console.warn('soak: SYNCLINE_TEST_POSTGRES_URL is not set; the PostgreSQL + Redis two-instance world is skipped')
    const result = await runSoak({ seconds: SECONDS, seed, postgresUrl: POSTGRES_URL })
    const report = reportLines(result).join('\n')
    console.log(report)
    expect(result.lost, report).toBe(0)
    expect(result.diverged, report).toBe(0)
    expect(result.failures, report).toEqual([])
    expect(passed(result)).toBe(true)
    expect(result.acknowledged.total, 'acknowledged writes').toBeGreaterThan(0)
  }, 240_000)
})
