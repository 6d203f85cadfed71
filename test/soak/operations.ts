import type { DocClient, RecordClient } from './clients.js'
import { COLLECTION } from './clients.js'
import type { DocLedger, KeyEntry, RecordLedger, RecordValue } from './ledger.js'
import type { Rng } from './rng.js'

/** A write that gets no answer in this time counts as unanswered (ambiguous), never acknowledged. */
const WRITE_TIMEOUT_MS = 5000
/** A room takes no new keys once this many may be present (the watch limit is 1000). */
const ROOM_CAPACITY = 150

export interface WorldState {
  readonly name: string
  readonly rooms: readonly string[]
  readonly docUrls: string[]
  readonly recordClients: readonly RecordClient[]
  readonly docClients: readonly DocClient[]
  /** Each running instance, for writes that go around the balancer. */
  instanceUrls(): string[]
}

export interface OperationContext {
  readonly rng: Rng
  readonly records: RecordLedger
  readonly docs: DocLedger
  /** Operations started, for memory per operation. */
  operations: number
  nextId(): string
}

/** POSTs putRecord or deleteRecord; only a 2xx answer acknowledges. */
async function postRecord(baseUrl: string, method: 'putRecord' | 'deleteRecord', body: Record<string, unknown>): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/xrpc/${COLLECTION}.${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(WRITE_TIMEOUT_MS),
    })
    await response.arrayBuffer().catch(() => undefined)
    return response.ok
  } catch {
    return false
  }
}

/**
 * One record write by a random client of `world`: a new key, an overwrite or a delete of one
 * of its own keys. It goes through the writer's fault proxy, or (for a cluster) now and then
 * straight to one instance, so that writes land on both and must cross through Redis.
 */
export async function recordWrite(context: OperationContext, world: WorldState): Promise<void> {
  const { rng, records } = context
  const writer = rng.pick([...world.recordClients, ...world.docClients])
  const room = rng.pick(world.rooms)
  const own = records.present(world.name, room).filter((entry) => entry.did === writer.did)
  const full = records.possiblyPresent(world.name, room) >= ROOM_CAPACITY
  const kind = own.length === 0 ? 'put' : full ? rng.pick(['overwrite', 'delete'] as const) : rng.weighted({ put: 2, overwrite: 1, delete: 1 })
  if (kind === 'put' && full) return
  const entry: KeyEntry | null = kind === 'put' ? records.begin({ world: world.name, room, did: writer.did, rkey: `k${context.nextId()}` }) : records.begin(rng.pick(own))
  if (entry === null) return
  context.operations++
  const direct = world.instanceUrls()
  const baseUrl = world.name === 'cluster' && direct.length > 0 && rng.chance(0.3) ? rng.pick(direct) : writer.proxy.url
  const value: RecordValue = kind === 'delete' ? null : `v${context.nextId()}`
  const body = { roomUri: room, rkey: entry.rkey, did: writer.did, ...(value !== null && { value: { text: value } }) }
  const acknowledged = await postRecord(baseUrl, value === null ? 'deleteRecord' : 'putRecord', body)
  records.settle(entry, value, acknowledged)
}

/** An edit of a random open, loaded document; acknowledged once `whenSaved('server')` resolves. */
export function docEdit(context: OperationContext, world: WorldState): void {
  const { rng } = context
  const client = rng.pick(world.docClients)
  if (client.reloading) return
  const ready = [...client.open.entries()].filter(([, store]) => store.getSnapshot().status === 'ready')
  if (ready.length === 0) return
  const [url, store] = rng.pick(ready)
  const entry = context.docs.docs.get(url)!
  const editId = `${client.name}-${context.nextId()}`
  context.operations++
  store.change((doc) => {
    doc.e[editId] = true
  })
  entry.made.add(editId)
  store.whenSaved('server').then(
    () => entry.acked.add(editId),
    () => undefined,
  )
}

/** Opens a document a client does not have open, or closes one it has (keeping at least one). */
export function docOpenOrClose(context: OperationContext, world: WorldState): void {
  const { rng } = context
  const client = rng.pick(world.docClients)
  if (client.reloading) return
  const closed = world.docUrls.filter((url) => !client.open.has(url))
  context.operations++
  if (closed.length > 0 && (client.open.size <= 1 || rng.chance(0.5))) client.openDoc(rng.pick(closed))
  else if (client.open.size > 1) client.closeDoc(rng.pick([...client.open.keys()]))
}

/**
 * A client `close()` in the middle of an edit: the change is made and the connection closed
 * in the same task, before the change has left. The edit is acknowledged only if
 * `whenSaved('server')` resolved; the client then comes back on the same cache.
 */
export async function closeMidEdit(context: OperationContext, world: WorldState): Promise<void> {
  const { rng } = context
  const client = rng.pick(world.docClients)
  if (client.reloading) return
  const ready = [...client.open.entries()].filter(([, store]) => store.getSnapshot().status === 'ready')
  if (ready.length > 0) {
    const [url, store] = rng.pick(ready)
    const entry = context.docs.docs.get(url)!
    const editId = `${client.name}-${context.nextId()}-closing`
    store.change((doc) => {
      doc.e[editId] = true
    })
    entry.made.add(editId)
    store.whenSaved('server').then(
      () => entry.acked.add(editId),
      () => undefined,
    )
  }
  await client.reload()
}
