import { WebSocket } from 'ws'
import { loadAutomerge } from '../../src/core/docs/automerge.js'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../src/core/docs/types.js'
import type { SoakDoc } from './clients.js'
import { COLLECTION, WATCH_LIMIT } from './clients.js'
import type { DocLedger, RecordLedger } from './ledger.js'
import type { WorldState } from './operations.js'

/** A named view of the data: a client, or storage read through one instance. */
type RecordView = { name: string; read: (room: string) => Map<string, string> }

export interface Findings {
  lost: number
  diverged: number
  /** One line per lost write, diverged key or document (capped in the report). */
  details: string[]
}

/** listRecords straight from one instance (around every proxy): what storage holds. */
async function readStorage(instanceUrl: string, room: string): Promise<Map<string, string>> {
  const response = await fetch(`${instanceUrl}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}&limit=${WATCH_LIMIT}`)
  if (!response.ok) throw new Error(`listRecords on ${instanceUrl} answered ${response.status}`)
  const body = (await response.json()) as { records: Array<{ did: string; rkey: string; value: { text: string } }>; cursor?: string }
  if (body.cursor !== undefined) throw new Error(`Room ${room} holds more than ${WATCH_LIMIT} records; the soak cannot check it`)
  return new Map(body.records.map((record) => [`${record.did}/${record.rkey}`, record.value.text]))
}

/** Compares every record view of `world` with the ledger. */
export async function checkRecords(world: WorldState, ledger: RecordLedger): Promise<Findings> {
  const findings: Findings = { lost: 0, diverged: 0, details: [] }
  const storage = new Map<string, Map<string, Map<string, string>>>()
  for (const url of world.instanceUrls()) {
    const rooms = new Map<string, Map<string, string>>()
    for (const room of world.rooms) rooms.set(room, await readStorage(url, room))
    storage.set(url, rooms)
  }
  const views: RecordView[] = [
    ...[...storage].map(([url, rooms]): RecordView => ({ name: `storage via ${url}`, read: (room) => rooms.get(room)! })),
    ...world.recordClients.map((client): RecordView => ({ name: client.name, read: (room) => client.recordsOf(room) })),
  ]
  const storageViews = views.slice(0, storage.size)
  for (const room of world.rooms) {
    const entries = [...ledger.keys.values()].filter((entry) => entry.world === world.name && entry.room === room)
    const known = new Set(entries.map((entry) => `${entry.did}/${entry.rkey}`))
    for (const entry of entries) {
      const key = `${entry.did}/${entry.rkey}`
      const seen = views.map((view) => ({ name: view.name, value: view.read(room).get(key) ?? null }))
      const stored = storageViews.map((view) => view.read(room).get(key) ?? null)
      const wrong = seen.filter(({ value }) => !entry.allowed.includes(value))
      if (wrong.length > 0 && entry.ackedWrites > 0) {
        findings.lost++
        findings.details.push(`lost: ${world.name} ${room} ${key} should be ${entry.allowed.map((value) => value ?? 'absent').join(' or ')}; ${wrong.map(({ name, value }) => `${name} has ${value}`).join(', ')}`)
      } else if (new Set(seen.map(({ value }) => value)).size > 1 || stored.some((value) => value !== stored[0])) {
        findings.diverged++
        findings.details.push(`diverged: ${world.name} ${room} ${key}: ${seen.map(({ name, value }) => `${name}=${value}`).join(', ')}`)
      }
    }
    for (const view of views) {
      for (const [key, value] of view.read(room)) {
        if (known.has(key)) continue
        findings.diverged++
        findings.details.push(`diverged: ${view.name} shows ${world.name} ${room} ${key}=${value}, which the soak never wrote`)
      }
    }
  }
  return findings
}

/** Whether every record client of `world` shows what storage holds (to wait for convergence). */
export async function recordsConverged(world: WorldState, ledger: RecordLedger): Promise<boolean> {
  const { lost, diverged } = await checkRecords(world, ledger)
  return lost === 0 && diverged === 0
}

export interface DocReplica {
  name: string
  url: string
  doc: () => SoakDoc | undefined
}

const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/** A fresh connection straight to each instance, with every document of the world open. */
export function freshReaders(world: WorldState): { replicas: DocReplica[]; connections: DocConnection[] } {
  const replicas: DocReplica[] = []
  const connections: DocConnection[] = []
  for (const instanceUrl of world.instanceUrls()) {
    const connection = createDocConnection({ url: instanceUrl.replace('http', 'ws'), WebSocket: NodeWebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })
    connection.start()
    connections.push(connection)
    for (const url of world.docUrls) {
      const store = connection.open<SoakDoc>(url)
      replicas.push({ name: `fresh reader via ${instanceUrl}`, url, doc: () => store.getSnapshot().doc })
    }
  }
  return { replicas, connections }
}

/** Every replica of every document: same heads, and every acknowledged edit in it. */
export async function checkDocs(world: WorldState, ledger: DocLedger, replicas: readonly DocReplica[]): Promise<Findings> {
  const automerge = await loadAutomerge()
  const findings: Findings = { lost: 0, diverged: 0, details: [] }
  for (const entry of ledger.inWorld(world.name)) {
    const mine = replicas.filter((replica) => replica.url === entry.url)
    const heads = new Set<string>()
    for (const replica of mine) {
      const doc = replica.doc()
      heads.add(doc === undefined ? 'not loaded' : JSON.stringify(automerge.getHeads(doc).slice().sort()))
    }
    for (const editId of entry.acked) {
      const missing = mine.filter((replica) => replica.doc()?.e[editId] !== true)
      if (missing.length === 0) continue
      findings.lost++
      findings.details.push(`lost: edit ${editId} of ${entry.url} missing on ${missing.map((replica) => replica.name).join(', ')}`)
    }
    if (heads.size > 1) {
      findings.diverged++
      findings.details.push(`diverged: ${entry.url} has ${heads.size} different heads over ${mine.length} replicas (${mine.map((replica) => `${replica.name}: ${Object.keys(replica.doc()?.e ?? {}).length} edits`).join(', ')})`)
    }
  }
  return findings
}
