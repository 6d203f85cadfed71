import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { mintWatchTicket } from '../../src/core/records/ticket.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A loopback ticket endpoint that records each request body and answers with a ticket. */
async function ticketEndpoint(): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = []
  server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => (text += String(chunk)))
    request.on('end', () => {
      bodies.push(JSON.parse(text))
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ ticket: 't-1' }))
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies }
}

describe('mintWatchTicket', () => {
  it.each([
    ['roomUri', 'room-1'],
    ['spaceUri', 'at://did:example:owner/com.example.space/1'],
  ])('names the room of a watch URL that gives it as %s', async (param, room) => {
    const { url, bodies } = await ticketEndpoint()
    const ticket = await mintWatchTicket({
      watchUrl: `/xrpc/com.example.message.watchRecords?${param}=${encodeURIComponent(room)}`,
      collection: 'com.example.message',
      baseUrl: url,
      readToken: () => Promise.resolve('tok'),
      fetch,
    })
    expect(ticket).toBe('t-1')
    expect(bodies).toEqual([{ collection: 'com.example.message', roomUri: room }])
  })
})
