import type { DocClient } from './clients.js'
import { NetworkFaults } from './faults.js'
import { heal } from './heal.js'
import { DocLedger, RecordLedger } from './ledger.js'
import type { GrowthVerdict, MemorySample } from './memory.js'
import { judgeGrowth, sampleMemory } from './memory.js'
import type { OperationContext, WorldState } from './operations.js'
import { closeMidEdit, docEdit, docOpenOrClose, recordWrite } from './operations.js'
import { createRng } from './rng.js'
import type { ProcessFaultKind } from './topology.js'
import { startTopology } from './topology.js'
import { sleep } from './waitFor.js'
import { setUpWorlds } from './worlds.js'

export interface SoakOptions {
  seconds: number
  seed: number
  /** Runs the two-instance world too; without it only the file-storage world runs. */
  postgresUrl?: string | undefined
  log?: (line: string) => void
  /** Only these fault kinds (e.g. `['stall', 'kill-file']`), to narrow a failure down; all by default. */
  faultKinds?: readonly string[] | undefined
}

export interface SoakResult {
  seed: number
  seconds: number
  sessions: number
  faults: Record<string, number>
  faultTotal: number
  acknowledged: { records: number; docEdits: number; total: number }
  unanswered: number
  operations: number
  lost: number
  diverged: number
  /** Invariants that failed, other than lost and diverged writes. */
  failures: string[]
  details: string[]
  memory: MemorySample[]
  growth: GrowthVerdict[]
  /** `detected`: times a client left `live` while its proxy was stalled (by a heartbeat, or another fault meanwhile). */
  stalls: { injected: number; detected: number; byClient: Record<string, number> }
  liveAfterHealMs: number | null
  ignoredErrors: Record<string, number>
  unhandledRejections: string[]
}

const TICK_MS = 100
/** Per tick: up to this many operations start, with at most MAX_IN_FLIGHT unfinished. */
const OPS_PER_TICK = 2
const MAX_IN_FLIGHT = 12
const NETWORK_FAULT_CHANCE = 0.06
/** A process fault, and a close in the middle of an edit, come at intervals drawn from these (ms). */
const PROCESS_FAULT_GAP_MS = { min: 3000, max: 12_000 }
const CLOSE_MID_EDIT_GAP_MS = { min: 2000, max: 12_000 }

export const summaryLine = (result: SoakResult): string =>
  `soak: ${result.sessions} sessions, ${result.faultTotal} faults, ${result.acknowledged.total} acknowledged writes, ${result.lost} lost, ${result.diverged} diverged, seed ${result.seed}`

export const passed = (result: SoakResult): boolean => result.lost === 0 && result.diverged === 0 && result.failures.length === 0

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined)
  const rng = createRng(options.seed)
  const records = new RecordLedger()
  const docs = new DocLedger()
  const failures: string[] = []
  const ignoredErrors: Record<string, number> = {}
  const unhandledRejections: string[] = []
  const onUnhandled = (reason: unknown): void => void unhandledRejections.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason))
  process.on('unhandledRejection', onUnhandled)
  const onIgnoredError = (error: unknown): void => {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 120)
    ignoredErrors[message] = (ignoredErrors[message] ?? 0) + 1
  }

  const topology = await startTopology(options.postgresUrl)
  let counter = 0
  const context: OperationContext = { rng, records, docs, operations: 0, nextId: () => (counter++).toString(36) }
  const memory: MemorySample[] = []
  let setUp: Awaited<ReturnType<typeof setUpWorlds>> | null = null
  try {
    setUp = await setUpWorlds(topology, rng, `${options.seed}-${Date.now().toString(36)}`, docs, onIgnoredError)
    const { worlds, clients } = setUp
    log(`soak: seed ${options.seed}, ${options.seconds} s, worlds ${worlds.map((world) => world.name).join(' + ')}, ${clients.length} clients`)
    const only = options.faultKinds === undefined ? null : new Set(options.faultKinds)
    const allowed = (kind: string): boolean => only === null || only.has(kind)
    const faults = new NetworkFaults(rng, clients, { minMs: 1000, maxMs: 6000 }, only)
    const inFlight = new Set<Promise<void>>()
    const track = (what: string, work: () => Promise<void> | void): void => {
      const promise = (async () => {
        try {
          await work()
        } catch (error) {
          failures.push(`${what} threw: ${error instanceof Error ? error.message : String(error)}`)
        }
      })()
      inFlight.add(promise)
      void promise.finally(() => inFlight.delete(promise))
    }
    let processFault: Promise<void> | null = null
    let bag: ProcessFaultKind[] = []

    const startProcessFault = (kind: ProcessFaultKind): Promise<void> => {
      faults.count(kind)
      const pauseMs = rng.int(200, 2000)
      const instance = rng.int(0, 1)
      log(`soak: ${kind} (down ${pauseMs} ms) at ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return topology.processFault(kind, pauseMs, instance).then(
        () => void (processFault = null),
        (error: unknown) => {
          failures.push(`${kind} failed: ${error instanceof Error ? error.message : String(error)}`)
          processFault = null
        },
      )
    }
    const phases = Math.max(6, Math.min(20, Math.round(options.seconds / 10)))
    const phaseMs = (options.seconds * 1000) / phases
    const started = Date.now()
    let nextProcessFaultAt = started + rng.int(PROCESS_FAULT_GAP_MS.min, PROCESS_FAULT_GAP_MS.max) / 2
    let nextCloseAt = started + rng.int(CLOSE_MID_EDIT_GAP_MS.min, CLOSE_MID_EDIT_GAP_MS.max) / 2
    memory.push(await sampleMemory(0, 0, topology.processes()))
    let phase = 1
    while (Date.now() - started < options.seconds * 1000) {
      await sleep(TICK_MS)
      for (let index = 0; index < OPS_PER_TICK && inFlight.size < MAX_IN_FLIGHT; index++) {
        const world = rng.pick(worlds)
        const kind = rng.weighted({ record: 5, edit: 5, openClose: 1 })
        if (kind === 'record') track('a record write', () => recordWrite(context, world))
        else if (kind === 'edit') track('a document edit', () => docEdit(context, world))
        else track('opening or closing a document', () => docOpenOrClose(context, world))
      }
      if (rng.chance(NETWORK_FAULT_CHANCE)) faults.inject()
      if (Date.now() >= nextCloseAt && allowed('close-mid-edit')) {
        nextCloseAt = Date.now() + rng.int(CLOSE_MID_EDIT_GAP_MS.min, CLOSE_MID_EDIT_GAP_MS.max)
        faults.count('close-mid-edit')
        track('a close in the middle of an edit', () => closeMidEdit(context, rng.pick(worlds)))
      }
      if (processFault === null && Date.now() >= nextProcessFaultAt) {
        nextProcessFaultAt = Date.now() + rng.int(PROCESS_FAULT_GAP_MS.min, PROCESS_FAULT_GAP_MS.max)
        if (bag.length === 0) bag = topology.processFaultKinds.filter(allowed)
        const kind = bag.splice(rng.int(0, bag.length - 1), 1)[0]
        if (kind !== undefined) processFault = startProcessFault(kind)
      }
      if (Date.now() - started >= phase * phaseMs) {
        memory.push(await sampleMemory(phase, context.operations, topology.processes()))
        phase++
      }
    }
    await Promise.allSettled([...inFlight])
    await processFault
    const healed = await heal({ worlds, clients, faults, records, docs, log })
    failures.push(...healed.failures)
    const growth = judgeGrowth(memory)
    for (const verdict of growth) if (verdict.growing) failures.push(`memory grows with operations: ${verdict.series} ${verdict.firstMb} → ${verdict.lastMb} MB (${verdict.mbPer1000Ops} MB per 1000 operations, r² ${verdict.r2})`)
    if (unhandledRejections.length > 0) failures.push(`${unhandledRejections.length} unhandled rejections: ${unhandledRejections[0]}`)
    const faultCounts = Object.fromEntries(faults.counts)
    return {
      seed: options.seed,
      seconds: options.seconds,
      sessions: clients.reduce((sum, client) => sum + client.log.sessions, 0),
      faults: faultCounts,
      faultTotal: faults.total,
      acknowledged: { records: records.acknowledged, docEdits: docs.acknowledged, total: records.acknowledged + docs.acknowledged },
      unanswered: records.unanswered,
      operations: context.operations,
      lost: healed.lost,
      diverged: healed.diverged,
      failures,
      details: healed.details,
      memory,
      growth,
      stalls: { injected: faults.counts.get('stall') ?? 0, detected: clients.reduce((sum, client) => sum + client.log.stallsDetected, 0), byClient: Object.fromEntries(clients.map((client) => [client.name, client.log.stallsDetected])) },
      liveAfterHealMs: healed.liveAfterMs,
      ignoredErrors,
      unhandledRejections,
    }
  } catch (error) {
    failures.push(`the soak itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    log(topology.logs().slice(-4000))
    throw Object.assign(new Error(failures.join('\n')), { failures })
  } finally {
    process.off('unhandledRejection', onUnhandled)
    if (setUp) await Promise.allSettled(setUp.clients.map((client) => client.close()))
    if (setUp) await Promise.allSettled(setUp.proxies.map((proxy) => proxy.close()))
    await topology.close()
  }
}

export type { DocClient, WorldState }
