import { parseArgs } from 'node:util'
import type { SoakResult } from './harness.js'
import { passed, runSoak } from './harness.js'
import { reportLines } from './report.js'
import { randomSeed } from './rng.js'

/**
 * `npm run soak -- --seconds N --seed S`: the fault-injection soak against real `syncline
 * serve` processes. The two-instance world runs when SYNCLINE_TEST_POSTGRES_URL is set. The
 * last line is the summary; the exit code is non-zero when anything was lost or diverged, or
 * another invariant failed.
 */
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, faults: { type: 'string' } } })
const seconds = Number(values.seconds)
const seed = values.seed === undefined ? randomSeed() : Number(values.seed)
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed) || seed < 0) {
  console.error('Usage: npm run soak -- [--seconds N (default 60)] [--seed S (a whole number; random by default)] [--faults kind,kind (only these)]')
  process.exit(2)
}
const postgresUrl = process.env.SYNCLINE_TEST_POSTGRES_URL
if (postgresUrl === undefined) console.warn('soak: SYNCLINE_TEST_POSTGRES_URL is not set, so the two-instance PostgreSQL + Redis world is skipped')

let result: SoakResult
try {
  result = await runSoak({ seconds, seed, postgresUrl, faultKinds: values.faults?.split(','), log: (line) => console.log(line) })
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  console.log(`soak: 0 sessions, 0 faults, 0 acknowledged writes, 0 lost, 0 diverged, seed ${seed}`)
  process.exit(1)
}
for (const line of reportLines(result)) console.log(line)
process.exit(passed(result) ? 0 : 1)
