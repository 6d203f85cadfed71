import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { sseTransport } from '../../../src/core/records/sseTransport.js'
import { COLLECTION, WATCH_PATH, closeAll, delay, frame, rawServer, record, recordingSink } from './helpers.js'

afterEach(closeAll)

const snapshot = frame('snapshot.start', { collection: 'c' }) + frame('snapshot.record', { record: record('r1', 'one') }) + frame('snapshot.end', { cursor: null })

const stream = (response: ServerResponse): void => {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' })
  response.flushHeaders()
}

async function connect(handler: Parameters<typeof rawServer>[0], options: { ticket?: string } = {}) {
  const server = await rawServer(handler)
  const recorder = recordingSink()
  const abort = new AbortController()
  const handle = sseTransport({
    url: server.url + WATCH_PATH,
    collection: COLLECTION,
    ticket: options.ticket,
    fetch: globalThis.fetch,
    signal: abort.signal,
    sink: recorder.sink,
  })
  return { server, handle, abort, ...recorder }
}

describe('sseTransport', () => {
  it('delivers a snapshot and live events in order, one batch per network chunk', async () => {
    let response: ServerResponse | null = null
    const t = await connect((_request, opened) => {
      stream(opened)
      opened.write(snapshot)
      response = opened
    })
    // Each later write waits until the client has handled the one before, so every write is
    // its own network chunk however loaded the machine is (the kernel may merge writes that
    // are still unread).
    await t.until(() => t.kinds().includes('snapshot.end'))
    response!.write(frame('record.created', { record: record('r2', 'two') }))
    await t.until(() => t.kinds().includes('record.created'))
    response!.write(`: keepalive\n\n${frame('record.deleted', { uri: record('r1', '').uri, did: 'did:example:a', rkey: 'r1' })}`)
    await t.until(() => t.kinds().includes('record.deleted'))
    expect(t.trace().filter((entry) => entry.startsWith('events') || entry === 'opened')).toEqual([
      'opened',
      'events(snapshot.start,snapshot.record,snapshot.end)',
      'events(record.created)',
      'events(record.deleted)',
    ])
    expect(t.events()[1]).toEqual({ kind: 'snapshot.record', data: { record: record('r1', 'one') } })
    expect(t.calls.filter((call) => call.type === 'alive').length).toBeGreaterThanOrEqual(2)
    const request = t.server.requests[0]!
    expect(request.headers.accept).toBe('text/event-stream')
    expect(request.url).toBe(WATCH_PATH)
  })

  it('sends the ticket as a ?ticket= query parameter, keeping the query', async () => {
    const t = await connect((_request, response) => {
      stream(response)
      response.write(snapshot)
    }, { ticket: 'abc.d+e/f=' })
    await t.until(() => t.kinds().includes('snapshot.end'))
    const url = new URL(t.server.requests[0]!.url!, 'http://x')
    expect(url.searchParams.get('ticket')).toBe('abc.d+e/f=')
    expect(url.searchParams.get('roomUri')).toBe('at://did:example:owner/room/1')
  })

  it('reassembles frames and UTF-8 characters split across network chunks', async () => {
    const bytes = Buffer.from(frame('record.created', { record: record('r1', 'héllo 👋') }).replace(/\n/g, '\r\n'))
    const cuts = [3, 17, bytes.indexOf('👋') + 2, bytes.length - 3, bytes.length - 1]
    const t = await connect(async (_request, response) => {
      stream(response)
      let from = 0
      for (const cut of [...cuts, bytes.length]) {
        response.write(bytes.subarray(from, cut))
        from = cut
        await delay(5)
      }
    })
    await t.until(() => t.kinds().length === 1)
    expect(t.events()[0]).toEqual({ kind: 'record.created', data: { record: record('r1', 'héllo 👋') } })
    expect(t.ignored()).toEqual([])
  })

  it.each([
    ['malformed JSON', frame('record.created', '{"record": {oops')],
    ['an unknown kind', frame('record.exploded', { record: record('r9', 'x') })],
    ['a record without uri or did/rkey', frame('record.created', { record: { value: { text: 'anonymous' }, time_us: 5 } })],
  ])('skips %s as ignored(protocol) in order and keeps the stream', async (_name, bad) => {
    const t = await connect((_request, response) => {
      stream(response)
      response.write(snapshot + bad + frame('record.created', { record: record('r2', 'after') }))
    })
    await t.until(() => t.kinds().includes('record.created'))
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record,snapshot.end)', 'ignored', 'events(record.created)'])
    expect(t.ignored()[0]!.code).toBe('protocol')
    expect(t.closed()).toEqual([])
  })

  it('treats an HTML page with status 200 as a protocol error, without opening', async () => {
    const t = await connect((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end('<html><body>502 Bad Gateway</body></html>')
    })
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['closed'])
    expect(t.closed()[0]).toMatchObject({ code: 'protocol', status: 200 })
    expect(t.closed()[0]!.message).toContain('text/html')
  })

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [500, 'network'],
    [503, 'network'],
    [429, 'network'],
    [404, 'not-found'],
    [400, 'protocol'],
  ])('maps HTTP %i to closed(%s) with the status', async (status, code) => {
    const t = await connect((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end('{"error":"AuthRequired","message":"Ticket expired"}')
    }, { ticket: 'secret-ticket' })
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['closed'])
    const error = t.closed()[0]!
    expect(error).toMatchObject({ code, status })
    expect(error.message).toContain('AuthRequired: Ticket expired')
    expect(error.message).not.toContain('secret-ticket')
  })

  it('reports a stream the server ends as closed(network)', async () => {
    const t = await connect((_request, response) => {
      stream(response)
      response.end(snapshot)
    })
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record,snapshot.end)', 'closed'])
    expect(t.closed()[0]!.code).toBe('network')
  })

  it('reports a server it cannot reach as closed(network) with the cause', async () => {
    const server = await rawServer(() => {})
    const url = server.url + WATCH_PATH
    await server.close()
    const t = recordingSink()
    sseTransport({ url, collection: COLLECTION, fetch: globalThis.fetch, signal: new AbortController().signal, sink: t.sink })
    await t.until(() => t.closed().length > 0)
    expect(t.closed()[0]).toMatchObject({ code: 'network' })
    expect(t.closed()[0]!.cause).toBeDefined()
  })

  it('makes no sink calls after close() and releases the connection', async () => {
    const t = await connect((_request, response) => {
      stream(response)
      response.write(snapshot)
      const timer = setInterval(() => response.write(frame('record.created', { record: record('r2', 'later') })), 5)
      response.on('close', () => clearInterval(timer))
    })
    await t.until(() => t.kinds().includes('snapshot.end'))
    t.handle.close()
    const count = t.calls.length
    await t.server.clientGone()
    await delay(30)
    expect(t.calls.length).toBe(count)
  })

  it('makes no sink calls after the signal aborts, even mid-request', async () => {
    const t = await connect((_request, response) => {
      setTimeout(() => {
        stream(response)
        response.write(snapshot)
      }, 30)
    })
    await delay(5)
    t.abort.abort()
    await delay(60)
    expect(t.calls).toEqual([])
  })

  it('does nothing with an already aborted signal', async () => {
    const server = await rawServer((_request, response) => stream(response))
    const t = recordingSink()
    sseTransport({ url: server.url + WATCH_PATH, collection: COLLECTION, fetch: globalThis.fetch, signal: AbortSignal.abort(), sink: t.sink })
    await delay(30)
    expect(server.requests).toHaveLength(0)
    expect(t.calls).toEqual([])
  })

  it('stops delivering when the sink closes it from inside a batch', async () => {
    const t = await connect((_request, response) => {
      stream(response)
      response.write(snapshot + frame('member.removed', { space: 's', did: 'd' }) + frame('record.created', { record: record('r2', 'x') }))
      setTimeout(() => response.write(frame('record.created', { record: record('r3', 'y') })), 10)
    })
    const events = t.sink.events
    t.sink.events = (batch) => {
      events(batch)
      if (batch.some((event) => event.kind === 'member.removed')) t.handle.close()
    }
    await t.until(() => t.kinds().includes('member.removed'))
    await delay(40)
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record,snapshot.end,member.removed,record.created)'])
  })
})
