/**
 * The contract between `bench/run.mjs` and one case (`bench/cases/*.ts`): a case runs in its
 * own child process, measures, and hands back rows through the file named by
 * `BENCH_RESULT_FILE`. Only run.mjs writes the results files.
 */
import { writeFileSync } from 'node:fs'
import { round } from './stats.js'

export const NOT_BUILT = 'not measured yet (documents not built)'

export interface Row {
  /** What is measured, e.g. "fan-out to 500 subscribers (SSE)". */
  name: string
  /** Which statistic, e.g. "p50 put → last subscriber". */
  metric: string
  unit: string
  /** syncline's figure; null when not measured (see `note`) or failed (see `error`). */
  syncline: number | null
  /** The same figure for the libraries people would otherwise pick, and references. */
  peers: Record<string, number | null>
  /** The physical limit (bare transport, raw read) when there is one. */
  limit?: number | undefined
  /** syncline ÷ the reference named in `ratioTo`. */
  ratio: number | null
  ratioTo?: string | undefined
  /** The issue's goal for this row, in words; null for rows that only inform. */
  goal: string | null
  met: boolean | null
  note?: string | undefined
  error?: string | undefined
}

export interface CaseResult {
  case: string
  rows: Row[]
  notes?: string[]
}

export interface RowInput {
  name: string
  metric: string
  unit: string
  syncline: number | null
  peers?: Record<string, number | null>
  limit?: number | undefined
  /** Which figure the ratio is taken against: 'limit' or a peer's name. */
  ratioTo?: string | undefined
  goal?: string | null
  /** Decides `met` from the row (only called when syncline was measured). */
  check?: ((row: { syncline: number; ratio: number | null; reference: number | null }) => boolean) | undefined
  note?: string | undefined
  error?: string | undefined
}

/** Builds a row: rounds figures, computes the ratio and whether the goal is met. */
export function row(input: RowInput): Row {
  const peers: Record<string, number | null> = {}
  for (const [name, value] of Object.entries(input.peers ?? {})) peers[name] = value === null || !Number.isFinite(value) ? null : round(value)
  const reference = input.ratioTo === undefined ? null : input.ratioTo === 'limit' ? (input.limit ?? null) : (input.peers?.[input.ratioTo] ?? null)
  const syncline = input.syncline === null || !Number.isFinite(input.syncline) ? null : input.syncline
  const ratio = syncline !== null && reference !== null && reference > 0 ? syncline / reference : null
  const met = syncline === null || input.check === undefined ? null : input.check({ syncline, ratio, reference })
  return {
    name: input.name,
    metric: input.metric,
    unit: input.unit,
    syncline: syncline === null ? null : round(syncline),
    peers,
    ...(input.limit !== undefined && Number.isFinite(input.limit) && { limit: round(input.limit) }),
    ratio: ratio === null ? null : round(ratio),
    ...(input.ratioTo !== undefined && { ratioTo: input.ratioTo }),
    goal: input.goal ?? null,
    met,
    ...(input.note !== undefined && { note: input.note }),
    ...(input.error !== undefined && { error: input.error }),
  }
}

/** Progress goes to stderr, so the orchestrator can show it while the case runs. */
export function log(...parts: unknown[]): void {
  process.stderr.write(`${parts.map(String).join(' ')}\n`)
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? String(error)
  return String(error)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Rejects after `ms` with `what` in the message; keeps every wait in a case bounded. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs a case body, hands its rows to run.mjs and exits (open handles from peers' libraries
 * must not keep a finished case alive). A failing body still reports, as an error row.
 */
export async function runCase(title: string, body: (rows: Row[], notes: string[]) => Promise<void>): Promise<void> {
  const rows: Row[] = []
  const notes: string[] = []
  let exitCode = 0
  try {
    await body(rows, notes)
  } catch (error) {
    log(`[${title}] failed:`, error instanceof Error ? (error.stack ?? error.message) : String(error))
    rows.push(row({ name: title.replace(/^\d+\.\s*/, ''), metric: 'case', unit: '', syncline: null, error: errorText(error) }))
    exitCode = 1
  }
  const result: CaseResult = { case: title, rows, notes }
  const file = process.env.BENCH_RESULT_FILE
  if (file) writeFileSync(file, JSON.stringify(result, null, 2))
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.exit(exitCode)
}
