import type { Server, Socket } from 'node:net'
import { connect, createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { FaultProxy } from './faultProxy.js'
import { startFaultProxy } from './faultProxy.js'
import { createRng } from './rng.js'

/** An echo server behind the proxy, and a client socket that collects what comes back. */
async function setUp(): Promise<{ proxy: FaultProxy; client: Socket; received: () => string; closed: Promise<string>; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const proxy = await startFaultProxy(() => ({ host: '127.0.0.1', port }), createRng(1))
  const client = connect(Number(new URL(proxy.url).port), '127.0.0.1')
  let data = ''
  client.on('data', (chunk: Buffer) => (data += chunk.toString()))
  const closed = new Promise<string>((resolve) => {
    client.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    client.on('close', () => resolve('close'))
  })
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  cleanups.push(async () => {
    client.destroy()
    await proxy.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { proxy, client, received: () => data, closed, server }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('fault proxy', () => {
  it('passes bytes through, in order, with latency', async () => {
    const { proxy, client, received } = await setUp()
    proxy.setLatency(30, 20)
    for (let i = 0; i < 20; i++) client.write(`${i},`)
    await until(() => received() === Array.from({ length: 20 }, (_, i) => `${i},`).join(''), 'all 20 pieces back in order')
  })

  it('stalls half-open: swallows bytes and closes nothing; ending the stall resets the connection', async () => {
    const { proxy, client, received, closed } = await setUp()
    proxy.stall(true)
    client.write('lost')
    let ended = false
    void closed.then(() => (ended = true))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(received()).toBe('')
    expect(ended).toBe(false)
    proxy.stall(false)
    expect(await closed).toBe('ECONNRESET')
  })

  it('resets every connection, and drops one in the middle of a chunk', async () => {
    const first = await setUp()
    expect(first.proxy.reset()).toBe(1)
    expect(await first.closed).toBe('ECONNRESET')

    const second = await setUp()
    second.proxy.dropMidFrame()
    second.client.write('0123456789')
    expect(await second.closed).toBe('close')
    expect(second.received().length).toBeLessThan(10)
  })

  it('trickles at the rate it is given', async () => {
    const { proxy, client, received } = await setUp()
    proxy.setTrickle(2000)
    client.write('x'.repeat(400))
    // 2000 bytes/s in 50 ms slices: 100 bytes a slice each way, so the echo arrives piece by piece.
    await until(() => received().length > 0, 'the first trickled bytes')
    expect(received().length).toBeLessThan(400)
    await until(() => received().length === 400, 'all 400 bytes')
  })
})
