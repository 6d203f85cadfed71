import type { RecordClientKind, SoakClientBase } from './clients.js'
import { DocClient, RecordClient } from './clients.js'
import type { FaultProxy } from './faultProxy.js'
import { startFaultProxy } from './faultProxy.js'
import type { DocLedger } from './ledger.js'
import type { WorldState } from './operations.js'
import type { Rng } from './rng.js'
import type { Topology } from './topology.js'
import { waitFor } from './waitFor.js'

const ROOMS_PER_WORLD = 3
const DOCS_PER_WORLD = 3
const DOC_CLIENTS_PER_WORLD = 2

export interface SoakWorlds {
  readonly worlds: WorldState[]
  readonly clients: SoakClientBase[]
  readonly proxies: FaultProxy[]
}

/**
 * Which record clients each world gets: every transport, straight (`createRecordStore`) and
 * through a `SyncClient`, spread over the worlds; a file-only run gets them all.
 */
function recordKinds(world: string, worldCount: number): RecordClientKind[] {
  if (worldCount === 1) return ['sse-store', 'ws-store', 'sse-client', 'ws-client']
  return world === 'file' ? ['sse-store', 'ws-client'] : ['ws-store', 'sse-client']
}

/** Every client behind its own fault proxy, the rooms watched and the documents created and opened. */
export async function setUpWorlds(topology: Topology, rng: Rng, runId: string, docs: DocLedger, onIgnoredError: (error: unknown) => void): Promise<SoakWorlds> {
  const worlds: WorldState[] = []
  const clients: SoakClientBase[] = []
  const proxies: FaultProxy[] = []
  for (const world of topology.worlds) {
    const proxied = async (): Promise<FaultProxy> => {
      const proxy = await startFaultProxy(world.target, rng.fork())
      proxies.push(proxy)
      return proxy
    }
    const rooms = Array.from({ length: ROOMS_PER_WORLD }, (_, index) => `soak-${runId}-${world.name}-${index}`)
    const recordClients: RecordClient[] = []
    for (const [index, kind] of recordKinds(world.name, topology.worlds.length).entries()) {
      const name = `${world.name}-${kind}`
      const client = new RecordClient(name, world.name, kind, await proxied(), `did:example:${world.name}-r${index}`, onIgnoredError)
      for (const room of rooms) client.watch(room)
      recordClients.push(client)
    }
    const docClients: DocClient[] = []
    for (let index = 0; index < DOC_CLIENTS_PER_WORLD; index++) {
      docClients.push(new DocClient(`${world.name}-doc-${index}`, world.name, await proxied(), `did:example:${world.name}-d${index}`, onIgnoredError))
    }
    const creator = docClients[0]!
    const docUrls: string[] = []
    for (let index = 0; index < DOCS_PER_WORLD; index++) {
      const store = creator.connection.create<{ e: Record<string, true> }>({ e: {} })
      creator.open.set(store.url, store)
      docUrls.push(store.url)
      docs.add(world.name, store.url)
    }
    await Promise.all([...creator.open.values()].map((store) => store.whenSaved('server')))
    for (const client of docClients.slice(1)) for (const url of docUrls) client.openDoc(url)
    worlds.push({ name: world.name, rooms, docUrls, recordClients, docClients, instanceUrls: world.instanceUrls })
    clients.push(...recordClients, ...docClients)
  }
  await waitFor(
    () => clients.every((client) => client.statuses().every((status) => status === 'live')),
    () => `every client live at the start (${describeStatuses(clients)})`,
    30_000,
  )
  for (const world of worlds) {
    for (const client of world.docClients) {
      await waitFor(() => [...client.open.values()].every((store) => store.getSnapshot().status === 'ready'), () => `${client.name} to load its documents`, 30_000)
    }
  }
  return { worlds, clients, proxies }
}

export const describeStatuses = (clients: readonly SoakClientBase[]): string =>
  clients.map((client) => `${client.name}: ${client.describe()}`).join(', ')
