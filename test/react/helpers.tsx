import { request } from 'node:http'
import type { ReactNode } from 'react'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { COLLECTION } from '../support/records.js'
import type { Message } from '../support/records.js'

export { COLLECTION, newRoom, watchUrl } from '../support/records.js'
export type { Message } from '../support/records.js'

export const ALICE = 'did:example:alice'

/**
 * Writes go through node:http rather than the global fetch: under happy-dom that is the
 * DOM's fetch, with CORS rules that are not what these tests are about.
 */
export function postJson<T>(url: string, body: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`POST ${url} answered ${res.statusCode}: ${text}`))
        else resolve(JSON.parse(text) as T)
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

export function putMessage(baseUrl: string, room: string, text: string, rkey?: string): Promise<{ uri: string; rkey: string; cid: string }> {
  return postJson(`${baseUrl}/xrpc/${COLLECTION}.putRecord`, { roomUri: room, value: { text }, did: ALICE, ...(rkey !== undefined && { rkey }) })
}

export function deleteMessage(baseUrl: string, room: string, rkey: string): Promise<unknown> {
  return postJson(`${baseUrl}/xrpc/${COLLECTION}.deleteRecord`, { roomUri: room, rkey, did: ALICE })
}

/** A fetch that counts the watchRecords requests it makes: one per stream opened. */
export function countingFetch(): { fetch: typeof fetch; watchRequests: () => number } {
  let watchRequests = 0
  const counting: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url.includes('.watchRecords')) watchRequests++
    // Looked up per call: the environment installs its fetch after this module loads.
    return globalThis.fetch(input, init)
  }
  return { fetch: counting, watchRequests: () => watchRequests }
}

export function testClient(baseUrl: string, fetchImpl?: typeof fetch): SyncClient {
  return createSyncClient({
    recordsBaseUrl: baseUrl,
    cache: createMemoryCache(),
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    ...(fetchImpl !== undefined && { fetch: fetchImpl }),
  })
}

export function withClient(client: SyncClient) {
  return function Wrapper({ children }: { children?: ReactNode }) {
    return <SyncProvider client={client}>{children}</SyncProvider>
  }
}

export const textsOf = (records: readonly WatchRecord<Message>[]): string => records.map((record) => record.value.text).join(',')
