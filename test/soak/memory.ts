import { readFile } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Memory per phase: RSS of every server process (from /proc) and the heap of the soak
 * process itself (after a full GC, so garbage does not read as growth). A series "grows
 * with the operations" when a straight line through (operations, bytes) fits it well and
 * climbs by more than a floor that ordinary warm-up and Automerge history stay under.
 */
export interface MemorySample {
  phase: number
  operations: number
  /** MB, per process name (a restarted process starts a new series). */
  rssMb: Record<string, number>
  heapMb: number
}

export interface GrowthVerdict {
  series: string
  points: number
  firstMb: number
  lastMb: number
  mbPer1000Ops: number
  r2: number
  growing: boolean
}

/** Growth past this many MB over a run, on a good linear fit, is a leak. */
const GROWTH_FLOOR_MB = { rss: 80, heap: 40 }
const MIN_R2 = 0.9

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const rssOf = async (pid: number): Promise<number | null> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kb === undefined ? null : Number(kb) / 1024
  } catch {
    return null
  }
}

export async function sampleMemory(phase: number, operations: number, processes: Array<{ name: string; pid: number }>): Promise<MemorySample> {
  const rssMb: Record<string, number> = {}
  for (const { name, pid } of processes) {
    const rss = await rssOf(pid)
    if (rss !== null) rssMb[`${name}#${pid}`] = round(rss)
  }
  collectGarbage()
  return { phase, operations, rssMb, heapMb: round(process.memoryUsage().heapUsed / 2 ** 20) }
}

const round = (mb: number): number => Math.round(mb * 10) / 10

function fit(points: Array<[number, number]>): { slope: number; r2: number } {
  const n = points.length
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY)
    sxx += (x - meanX) ** 2
    syy += (y - meanY) ** 2
  }
  if (sxx === 0 || syy === 0) return { slope: 0, r2: 0 }
  return { slope: sxy / sxx, r2: (sxy * sxy) / (sxx * syy) }
}

/** The first sample is warm-up (processes just started, code still compiling) and is left out. */
export function judgeGrowth(samples: readonly MemorySample[]): GrowthVerdict[] {
  const series = new Map<string, Array<[number, number]>>()
  const add = (name: string, x: number, y: number): void => {
    const list = series.get(name) ?? []
    list.push([x, y])
    series.set(name, list)
  }
  for (const sample of samples.slice(1)) {
    add('soak heap', sample.operations, sample.heapMb)
    for (const [name, mb] of Object.entries(sample.rssMb)) add(`rss ${name}`, sample.operations, mb)
  }
  const verdicts: GrowthVerdict[] = []
  for (const [name, points] of series) {
    if (points.length < 4) continue
    const { slope, r2 } = fit(points)
    const firstMb = points[0]![1]
    const lastMb = points.at(-1)![1]
    const floor = name === 'soak heap' ? GROWTH_FLOOR_MB.heap : GROWTH_FLOOR_MB.rss
    verdicts.push({ series: name, points: points.length, firstMb, lastMb, mbPer1000Ops: round(slope * 1000), r2: Math.round(r2 * 100) / 100, growing: r2 >= MIN_R2 && lastMb - firstMb > floor })
  }
  return verdicts
}
