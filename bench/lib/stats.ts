/** Small statistics helpers shared by every benchmark case. */

export interface Summary {
  n: number
  p50: number
  p90: number
  p99: number
  min: number
  max: number
  mean: number
}

/** Linear-interpolated percentile (p in 0..100) of unsorted samples. NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  const lowValue = sorted[low]!
  const highValue = sorted[high]!
  return lowValue + (highValue - lowValue) * (rank - low)
}

export const median = (samples: readonly number[]): number => percentile(samples, 50)

export function summarize(samples: readonly number[]): Summary {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (const value of samples) {
    if (value < min) min = value
    if (value > max) max = value
    sum += value
  }
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    min,
    max,
    mean: samples.length === 0 ? Number.NaN : sum / samples.length,
  }
}

/** Rounds to a sensible number of significant digits for tables and JSON. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const decimals = Math.max(0, digits - 1 - magnitude)
  return Number(value.toFixed(Math.min(decimals, 6)))
}
