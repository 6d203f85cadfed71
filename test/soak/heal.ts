import type { SoakClientBase } from './clients.js'
import type { NetworkFaults } from './faults.js'
import type { Findings } from './invariants.js'
import { checkDocs, checkRecords, freshReaders, recordsConverged } from './invariants.js'
import type { DocLedger, RecordLedger } from './ledger.js'
import type { WorldState } from './operations.js'
import { waitUntil } from './waitFor.js'
import { describeStatuses } from './worlds.js'

/** The invariant: after healing, every client is live again within this time. */
const LIVE_WITHIN_MS = 10_000
/** How long replicas get to exchange what they still hold back before a difference counts. */
const CONVERGE_WITHIN_MS = 20_000

export interface HealInput {
  worlds: readonly WorldState[]
  clients: readonly SoakClientBase[]
  faults: NetworkFaults
  records: RecordLedger
  docs: DocLedger
  log: (line: string) => void
}

export interface HealResult extends Findings {
  failures: string[]
  liveAfterMs: number | null
}

/**
 * All faults off (every process is already up), then the checks: every client live within
 * 10 s; every document open everywhere and saved on the server; then every acknowledged write
 * present on every client and in storage, and every replica of a document at the same heads.
 */
export async function heal(input: HealInput): Promise<HealResult> {
  const { worlds, clients, faults, records, docs, log } = input
  const failures: string[] = []
  const healedAt = Date.now()
  const reset = faults.healAll()
  log(`soak: healing; ${reset} stalled connections reset`)
  const allLive = (): boolean => clients.every((client) => client.statuses().every((status) => status === 'live'))
  const live = await waitUntil(allLive, LIVE_WITHIN_MS)
  const liveAfterMs = live ? Date.now() - healedAt : null
  if (!live) failures.push(`not every client was live ${LIVE_WITHIN_MS} ms after healing: ${describeStatuses(clients)}`)

  for (const world of worlds) for (const client of world.docClients) for (const url of world.docUrls) client.openDoc(url)
  const docClients = worlds.flatMap((world) => world.docClients)
  const saved = await waitUntil(
    () => docClients.every((client) => [...client.open.values()].every((store) => store.getSnapshot().status === 'ready' && store.getSnapshot().saved.server)),
    CONVERGE_WITHIN_MS,
  )
  if (!saved) {
    const waiting = docClients.flatMap((client) =>
      [...client.open.entries()]
        .filter(([, store]) => !store.getSnapshot().saved.server || store.getSnapshot().status !== 'ready')
        .map(([url, store]) => `${client.name} ${url} ${store.getSnapshot().status} with ${Object.keys(store.getSnapshot().doc?.e ?? {}).length} edits, connection ${client.describe()}${client.trace.size > 0 ? ` [last frames: ${(client.trace.get(store.documentId) ?? []).join('; ')}]` : ''}`),
    )
    // A probe for the report: does one more edit get the store acknowledged again?
    const stuck = docClients.flatMap((client) => [...client.open.values()].filter((store) => store.getSnapshot().status === 'ready' && !store.getSnapshot().saved.server))
    for (const store of stuck) store.change((doc) => void (doc.e[`probe-${Date.now()}`] = true))
    const recovered = await waitUntil(() => stuck.every((store) => store.getSnapshot().saved.server), 5000)
    failures.push(`documents not saved on the server ${CONVERGE_WITHIN_MS} ms after healing: ${waiting.join(', ')}; one more edit ${recovered ? 'got them acknowledged' : 'did not help'}`)
  }

  const findings: Findings = { lost: 0, diverged: 0, details: [] }
  const add = (found: Findings): void => {
    findings.lost += found.lost
    findings.diverged += found.diverged
    findings.details.push(...found.details)
  }
  for (const world of worlds) {
    await waitUntil(() => recordsConverged(world, records), CONVERGE_WITHIN_MS, 250)
    add(await checkRecords(world, records))

    const readers = freshReaders(world)
    const replicas = [
      ...readers.replicas,
      ...world.docClients.flatMap((client) => [...client.open.entries()].map(([url, store]) => ({ name: client.name, url, doc: () => store.getSnapshot().doc }))),
    ]
    await waitUntil(async () => {
      const found = await checkDocs(world, docs, replicas)
      return found.lost === 0 && found.diverged === 0
    }, CONVERGE_WITHIN_MS, 250)
    add(await checkDocs(world, docs, replicas))
    await Promise.all(readers.connections.map((connection) => connection.close()))
  }
  return { ...findings, failures, liveAfterMs }
}
