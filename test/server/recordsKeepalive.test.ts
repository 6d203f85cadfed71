import { WebSocket } from 'ws'
import { afterEach, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { newRoom, watchUrl } from '../support/records.js'

let server: SyncServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

it('announces keepaliveMs in the mode=ws handshake and sends { kind: "keepalive" } frames on the watch socket', async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage(), keepaliveMs: 50 })
  await server.start()
  const response = await fetch(`${server.url}${watchUrl(newRoom())}&mode=ws`, { headers: { accept: 'application/json' } })
  expect(response.status).toBe(200)
  const handshake = (await response.json()) as { wsUrl: string; keepaliveMs?: unknown }
  expect(handshake.keepaliveMs).toBe(50)

  const socket = new WebSocket(new URL(handshake.wsUrl, server.url.replace('http', 'ws')))
  const frames: unknown[] = []
  socket.on('message', (data) => frames.push(JSON.parse(String(data))))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out waiting for two keepalive frames; got ${JSON.stringify(frames)}`)), 3000)
      socket.on('message', () => {
        if (frames.length < 2) return
        clearTimeout(timer)
        resolve()
      })
    })
    expect(frames.slice(0, 2)).toEqual([{ kind: 'keepalive' }, { kind: 'keepalive' }])
  } finally {
    socket.terminate()
  }
})
