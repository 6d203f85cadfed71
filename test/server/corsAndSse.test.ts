import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

/**
 * What browsers and proxies see (issue 16 item 6): a preflight allows the headers the page
 * asks to send (contrail's clients send `atproto-*` ones), and an SSE stream tells proxies
 * neither to cache nor to transform (compress) it, as contrail's server does.
 */
const COLLECTION = 'com.example.message'
let server: SyncServer
beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterAll(() => server.close())

function preflight(requestHeaders?: string): Promise<Response> {
  return fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example.test', 'access-control-request-method': 'GET', ...(requestHeaders !== undefined && { 'access-control-request-headers': requestHeaders }) },
  })
}

describe('CORS preflight', () => {
  it('allows back the headers the browser asks for, and says the answer varies with them', async () => {
    const response = await preflight('atproto-proxy, atproto-accept-labelers,authorization')
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-headers')).toBe('atproto-proxy, atproto-accept-labelers,authorization')
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('vary')).toMatch(/access-control-request-headers/i)
  })

  it('answers the default list when nothing is asked, or when the list is not one of header names', async () => {
    const defaults = 'authorization, content-type, accept, last-event-id'
    expect((await preflight()).headers.get('access-control-allow-headers')).toBe(defaults)
    expect((await preflight('atproto-proxy, "quoted"')).headers.get('access-control-allow-headers')).toBe(defaults)
  })
})

describe('SSE watch', () => {
  it('sends Cache-Control: no-cache, no-transform', async () => {
    const response = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r`, { headers: { accept: 'text/event-stream' } })
    await response.body?.cancel()
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
  })
})
