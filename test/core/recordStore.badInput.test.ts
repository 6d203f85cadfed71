import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { Message } from '../support/records.js'
import { openStore, texts, until } from '../support/records.js'

/** A deliberately misbehaving watchRecords server: each test scripts the exact bytes. */
async function rawServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; server: Server; requests: () => number }> {
  let requests = 0
  const server = createServer((request, response) => {
    requests++
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server, requests: () => requests }
}

const record = (rkey: string, text: string, time_us: number) => ({
  uri: `at://did:example:a/com.example.message/${rkey}`, did: 'did:example:a', rkey, collection: 'com.example.message', value: { text }, time_us,
})
const frame = (kind: string, data: unknown) => `event: ${kind}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
const goodSnapshot = frame('snapshot.start', {}) + frame('snapshot.record', { record: record('r1', 'good one', 1) }) + frame('snapshot.end', {})

const servers: Server[] = []
const stores: WatchRecordStore<Message>[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()))
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

async function storeAgainst(handler: Parameters<typeof rawServer>[0], options: { maxEventLength?: number } = {}) {
  const raw = await rawServer(handler)
  servers.push(raw.server)
  const ignored: unknown[] = []
  const store = openStore(raw.url, 'room', { onIgnoredError: (error) => ignored.push(error), ...options })
  stores.push(store)
  return { store, ignored, requests: raw.requests }
}

const streamThen = (...later: string[]) => (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'text/event-stream' })
  response.write(goodSnapshot)
  setTimeout(() => response.write(later.join('')), 20)
}

describe('record store facing bad input from a server', () => {
  it.each([
    ['malformed JSON', frame('record.created', '{"record": {oops')],
    ['an unknown kind', frame('record.exploded', { record: record('r9', 'x', 9) })],
    ['a record without uri or did/rkey', frame('record.created', { record: { value: { text: 'anonymous' }, time_us: 5 } })],
  ])('skips %s with error code protocol, keeps the records and the stream', async (_name, bad) => {
    const { store, ignored } = await storeAgainst(streamThen(bad, frame('record.created', { record: record('r2', 'after the bad frame', 2) })))
    const after = await until(store, (s) => s.records.length === 2)
    expect(texts(after)).toEqual(['after the bad frame', 'good one'])
    expect(after.status).toBe('live')
    expect(after.error?.code).toBe('protocol')
    expect(ignored).toHaveLength(1)
  })

  it('treats an HTML error page as a protocol error and keeps cached records', async () => {
    let calls = 0
    const { store } = await storeAgainst((_request, response) => {
      if (calls++ === 0) return streamThen()(_request, response)
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end('<html><body>502 Bad Gateway</body></html>')
    })
    await until(store, (s) => s.status === 'live' && s.records.length === 1)
    // Drop the first stream; the retry lands on the HTML page.
    servers[0]!.closeAllConnections()
    const failed = await until(store, (s) => s.error?.code === 'protocol' && s.status === 'reconnecting')
    expect(texts(failed)).toEqual(['good one'])
  })

  it('answers a 401 with unauthorized and does not retry in a loop', async () => {
    const { store, requests } = await storeAgainst((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' })
      response.end('{"error":"AuthRequired"}')
    })
    const closed = await until(store, (s) => s.status === 'closed')
    expect(closed.error?.code).toBe('unauthorized')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(requests()).toBe(1)
  })

  it('drops a stream whose line passes maxEventLength with error code protocol, then reconnects', async () => {
    let calls = 0
    const seen: Array<string | undefined> = []
    const { store } = await storeAgainst(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' })
        if (calls++ > 0) return void response.write(goodSnapshot)
        // A line that never ends, as a broken proxy or hostile server sends it.
        response.write(frame('snapshot.start', {}) + 'data: ' + 'x'.repeat(300))
      },
      { maxEventLength: 200 },
    )
    const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot().error?.code))
    const live = await until(store, (s) => s.status === 'live' && s.records.length === 1)
    unsubscribe()
    expect(texts(live)).toEqual(['good one'])
    expect(seen).toContain('protocol')
    expect(calls).toBe(2)
  })
})
