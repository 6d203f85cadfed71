import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { pollUntil } from '../support/poll.js'

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

  it('is one unframed byte stream: each event goes out as its SSE text, with no chunked framing around it', async () => {
    // Chunked framing would wrap every event in a size line and a CRLF: three more buffers per
    // event per stream for the server to hand to the socket (issue 18 §4).
    const socket = connect(server.port, '127.0.0.1')
    let raw = ''
    socket.setEncoding('latin1')
    socket.on('data', (text: string) => {
      raw += text
    })
    try {
      socket.write(`GET /xrpc/${COLLECTION}.watchRecords?roomUri=unframed HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
      await pollUntil(() => raw.includes('event: snapshot.end'), 'the snapshot to end')
      const put = await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: 'unframed', rkey: 'one', value: { text: 'hello' }, did: 'did:example:alice' }),
      })
      expect(put.status).toBe(200)
      await pollUntil(() => raw.includes('event: record.created'), 'the live event')
      const headEnd = raw.indexOf('\r\n\r\n')
      expect(headEnd).toBeGreaterThan(0)
      const head = raw.slice(0, headEnd).toLowerCase()
      expect(head).not.toMatch(/transfer-encoding/)
      expect(head).toMatch(/\r\nconnection: close/)
      const body = raw.slice(headEnd + 4)
      // Nothing but SSE fields and blank lines: no hex chunk sizes, no CRLFs.
      expect(body).not.toContain('\r\n')
      expect(body.startsWith('event: snapshot.start\n')).toBe(true)
      const created = body.slice(body.indexOf('event: record.created'))
      expect(created).toMatch(/^event: record\.created\ndata: \{.*"rkey":"one".*\}\n\n$/)
    } finally {
      socket.destroy()
    }
  })
})
