/**
 * How case 10 judges a ramp (kept apart from the case so the judging is tested on its own,
 * test/bench/capacityVerdict.test.ts): which rate a server sustained, whether that figure is
 * only a lower bound (the ramp ran out before anything failed), who ran out of CPU at the
 * step that ended it, and the verdict against stock.
 */

export interface RampStep {
  rate: number
  undelivered: number
  p99: number
  /** Server CPU over the step, 1 = one core. */
  serverCpuShare: number
  /** Each generator process's CPU over the step, 1 = one core (each runs on one thread). */
  generatorCpuShares: number[]
  /** How late the generators ran their edits at worst (counted in the latency). */
  maxLateMs: number
}

export interface Sustained {
  /** The highest rate held with every step before it; 0 when the first step already failed. */
  rate: number
  /** The step that ended the ramp by failing; null when none failed (the figure is then a lower bound). */
  failed: RampStep | null
}

/** A single-threaded process at this share of a core (or the machine at this share of all) has no CPU left. */
export const SATURATED_SHARE = 0.9

export function held(step: RampStep, p99Ms: number): boolean {
  return step.undelivered === 0 && step.p99 <= p99Ms
}

/** The highest rate whose step (and every step before it) delivered everything with p99 ≤ `p99Ms`. */
export function sustainedAt(steps: readonly RampStep[], p99Ms: number): Sustained {
  let rate = 0
  for (const step of steps) {
    if (!held(step, p99Ms)) return { rate, failed: step }
    rate = step.rate
  }
  return { rate, failed: null }
}

/**
 * Who had no CPU left at `step`: the server (its one thread at a core), a generator (its
 * thread at a core: it then sends its edits late, and their lateness counts against the
 * server), or the machine (all cores busy between them, each side waiting for the other's
 * turn); null when nobody was out of CPU (the latency came from something else).
 */
export function saturated(step: RampStep, cores: number): 'server' | 'generators' | 'machine' | null {
  const generators = Math.max(0, ...step.generatorCpuShares)
  if (generators >= SATURATED_SHARE && generators >= step.serverCpuShare) return 'generators'
  if (step.serverCpuShare >= SATURATED_SHARE) return 'server'
  const total = step.serverCpuShare + step.generatorCpuShares.reduce((sum, share) => sum + share, 0)
  return total >= SATURATED_SHARE * cores ? 'machine' : null
}

const percent = (share: number): string => `${(share * 100).toFixed(0)}%`

/** A sentence on why the ramp ended (or that it did not), for the notes. */
export function rampEnd(impl: string, steps: readonly RampStep[], p99Ms: number, cores: number): string {
  const { rate, failed } = sustainedAt(steps, p99Ms)
  if (failed === null) {
    return `${impl}: every step up to ${rate} edits/s held p99 ≤ ${p99Ms} ms; the ramp ran out (rates or time) first, so ${rate} edits/s is a lower bound.`
  }
  const why = failed.undelivered > 0 ? `${failed.undelivered} edits not delivered` : `p99 ${failed.p99.toFixed(1)} ms`
  const generators = failed.generatorCpuShares.map(percent).join(' + ')
  const machine = failed.serverCpuShare + failed.generatorCpuShares.reduce((sum, share) => sum + share, 0)
  const usage = `server ${percent(failed.serverCpuShare)} of a core, generators ${generators}, machine ${percent(machine / cores)} of ${cores} cores; generators late by up to ${failed.maxLateMs.toFixed(0)} ms`
  const who = saturated(failed, cores)
  const verdict =
    who === 'generators'
      ? `the GENERATORS, not the server, were saturated: this step measures the load generators' limit, and the server's is higher than ${failed.rate} edits/s`
      : who === 'machine'
        ? `the machine's cores were all busy (server and generators together), so the server and the generators limited each other: not a measure of the server alone`
        : who === 'server'
          ? `the server was saturated (its one thread at a core)`
          : `nobody was out of CPU (the latency came from elsewhere: scheduling on a busy machine, timers, the network stack)`
  return `${impl}: the ramp ended at ${failed.rate} edits/s (${why}): ${verdict} (${usage}).`
}

export interface Verdict {
  met: boolean | null
  /** Which stock figure syncline is compared with, and why. */
  against: 'strict' | 'loose' | null
  reason: string
}

/**
 * The goal: ≥ `factor` × stock's sustained rate, both at p99 ≤ `strictMs`. When stock sustains
 * no step at `strictMs` (its 100 ms sync throttle), against stock at `looseMs`. A figure that is
 * only a lower bound can prove the goal met (syncline's) or not met (stock's) but never the
 * other way round; when stock sustains nothing even at `looseMs`, there is nothing to divide by.
 */
export function judge(ours: Sustained, stockStrict: Sustained, stockLoose: Sustained, options: { factor: number; strictMs: number; looseMs: number }): Verdict {
  const { factor, strictMs, looseMs } = options
  const useStrict = stockStrict.rate > 0
  const stock = useStrict ? stockStrict : stockLoose
  const against = useStrict ? 'strict' : 'loose'
  const bar = useStrict ? strictMs : looseMs
  if (stock.rate === 0) return { met: null, against: null, reason: `stock sustained no step even at p99 ≤ ${looseMs} ms: no ratio to judge` }
  const needed = factor * stock.rate
  const oursBound = ours.failed === null ? ' (a lower bound: its ramp ran out first)' : ''
  const stockBound = stock.failed === null ? ' (a lower bound: its ramp ran out first)' : ''
  if (ours.rate >= needed) {
    // Stock's true figure may be higher than a lower bound: then "met" is not proven.
    if (stock.failed === null) return { met: null, against, reason: `syncline ${ours.rate} ≥ ${factor} × stock's ${stock.rate} edits/s at p99 ≤ ${bar} ms, but stock's figure${stockBound}, so the goal is not proven` }
    return { met: true, against, reason: `syncline ${ours.rate}${oursBound} ≥ ${factor} × stock's ${stock.rate} edits/s at p99 ≤ ${bar} ms` }
  }
  if (ours.failed === null) return { met: null, against, reason: `syncline ${ours.rate} edits/s${oursBound} < ${factor} × stock's ${stock.rate}: not proven either way` }
  return { met: false, against, reason: `syncline ${ours.rate} < ${factor} × stock's ${stock.rate}${stockBound} edits/s at p99 ≤ ${bar} ms` }
}
