import type { IncomingMessage, ServerResponse } from 'node:http'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveSocketUrl, wsTransport } from '../../../src/core/records/wsTransport.js'
import { COLLECTION, WATCH_PATH, closeAll, delay, rawServer, recordingSink, socketServer } from './helpers.js'

/**
 * Issue 13, item 10: a handshake answer must not send the watch ticket to another origin,
 * nor from an https endpoint to a plain `ws:` socket. Two real servers on loopback: the
 * endpoint, and an "elsewhere" whose upgrades are counted.
 */
afterEach(closeAll)

const answer = (wsUrl: string) => (_request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ transport: 'ws', snapshot: { records: [], cursor: null }, ticket: 'secret-ticket', ticketTtlMs: 60_000, sinceTs: 1, wsUrl }))
}

async function watchWith(allowedSocketOrigins?: readonly string[]) {
  const elsewhere = await rawServer((_request, response) => response.writeHead(404).end())
  const elsewhereSockets = socketServer(elsewhere, () => {})
  const endpoint = await rawServer(answer(`${elsewhere.url.replace('http', 'ws')}/socket`))
  const recorder = recordingSink()
  wsTransport({
    url: endpoint.url + WATCH_PATH,
    collection: COLLECTION,
    fetch: globalThis.fetch,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...(allowedSocketOrigins !== undefined && { allowedSocketOrigins }),
    signal: new AbortController().signal,
    sink: recorder.sink,
  })
  return { ...recorder, elsewhere, elsewhereUpgrades: elsewhereSockets.upgrades }
}

describe('wsTransport socket origins', () => {
  it('refuses a wsUrl on another origin with closed(protocol), and sends no ticket there', async () => {
    const t = await watchWith()
    await t.until(() => t.closed().length > 0)
    const [error] = t.closed()
    expect(error?.code).toBe('protocol')
    expect(error?.message).toMatch(/not the endpoint's origin/)
    await delay(50)
    expect(t.elsewhereUpgrades).toEqual([])
    expect(t.trace()).toEqual(['closed'])
  })

  it('follows a wsUrl on an origin listed in allowedSocketOrigins (as http or ws)', async () => {
    const first = await watchWith(['https://unrelated.example'])
    await first.until(() => first.closed().length > 0)
    expect(first.closed()[0]?.code).toBe('protocol')

    const elsewhere = await rawServer((_request, response) => response.writeHead(404).end())
    const sockets = socketServer(elsewhere, () => {})
    const endpoint = await rawServer(answer(`${elsewhere.url.replace('http', 'ws')}/socket`))
    const recorder = recordingSink()
    wsTransport({
      url: endpoint.url + WATCH_PATH,
      collection: COLLECTION,
      fetch: globalThis.fetch,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      allowedSocketOrigins: [elsewhere.url],
      signal: new AbortController().signal,
      sink: recorder.sink,
    })
    await recorder.until(() => recorder.kinds().includes('snapshot.end'))
    expect(sockets.upgrades.map((request) => request.url)).toEqual(['/socket?ticket=secret-ticket'])
  })

  it('never downgrades an https endpoint to a ws: socket, even to an allowed origin', () => {
    const endpoint = `https://api.example/xrpc/${COLLECTION}.watchRecords?roomUri=r`
    expect(resolveSocketUrl('/socket', endpoint, 't')).toBe('wss://api.example/socket?ticket=t')
    expect(resolveSocketUrl('wss://api.example/socket', endpoint, 't')).toBe('wss://api.example/socket?ticket=t')
    expect(() => resolveSocketUrl('ws://api.example/socket', endpoint, 't')).toThrow(/downgrades/)
    expect(() => resolveSocketUrl('ws://rt.example/socket', endpoint, 't', ['ws://rt.example', 'https://rt.example'])).toThrow(/downgrades/)
    expect(resolveSocketUrl('wss://rt.example/socket', endpoint, 't', ['https://rt.example'])).toBe('wss://rt.example/socket?ticket=t')
    expect(() => resolveSocketUrl('wss://api.example.evil/socket', endpoint, 't')).toThrow(/not the endpoint's origin/)
    // A plain-http endpoint may use its own ws: origin, and move up to wss: on it only if listed.
    expect(resolveSocketUrl('/s', 'http://127.0.0.1:8080/x', undefined)).toBe('ws://127.0.0.1:8080/s')
    expect(() => resolveSocketUrl('wss://127.0.0.1:8080/s', 'http://127.0.0.1:8080/x', undefined)).toThrow(/origin/)
  })
})
