import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { startContrailServer } from './contrailServer.js'
import type { ContrailServer, ContrailServerOptions } from './contrailServer.js'
import type { Message } from './records.js'
import { COLLECTION, deleteRecord, putRecord, watchUrl } from './records.js'

/**
 * The record-store suite runs against every kind of server syncline's client talks to: its own
 * reference server and a contrail-format one (`contrailServer.ts`). A harness hides how each
 * names the room (`roomUri` or `spaceUri`) and how a test writes to it.
 */
export interface RecordServerHarness {
  readonly kind: ServerKind
  readonly url: string
  watchUrl(room: string): string
  put(room: string, value: Message, options?: { rkey?: string; did?: string }): Promise<{ rkey: string }>
  remove(room: string, rkey: string, did?: string): Promise<void>
  close(): Promise<void>
}

export const SERVER_KINDS = ['reference', 'contrail'] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

export async function startHarness(kind: ServerKind, contrail: ContrailServerOptions = {}): Promise<RecordServerHarness> {
  if (kind === 'reference') {
    const server: SyncServer = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
    return {
      kind,
      url: server.url,
      watchUrl,
      put: (room, value, options) => putRecord(server.url, room, value, options),
      remove: (room, rkey, did) => deleteRecord(server.url, room, rkey, did),
      close: () => server.close(),
    }
  }
  const server = await startContrailServer(contrail)
  return contrailHarness(server)
}

export const contrailWatchUrl = (room: string): string => `/xrpc/${COLLECTION}.watchRecords?spaceUri=${encodeURIComponent(room)}`

export function contrailHarness(server: ContrailServer): RecordServerHarness & { server: ContrailServer } {
  const post = async (method: string, did: string, body: object): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}/xrpc/${server.namespace}.space.${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${did}` },
      body: JSON.stringify(body),
    })
    if (response.status !== 200) throw new Error(`${method} answered HTTP ${response.status}`)
    return (await response.json()) as Record<string, unknown>
  }
  return {
    kind: 'contrail',
    server,
    url: server.url,
    watchUrl: contrailWatchUrl,
    put: async (room, value, options = {}) => {
      const answer = await post('putRecord', options.did ?? 'did:example:alice', { spaceUri: room, collection: COLLECTION, rkey: options.rkey, record: value })
      return { rkey: String(answer.rkey) }
    },
    remove: async (room, rkey, did = 'did:example:alice') => {
      await post('deleteRecord', did, { spaceUri: room, collection: COLLECTION, rkey })
    },
    close: () => server.close(),
  }
}
