/**
 * The physical limit for fan-out: a bare `ws` server. A POST's body is sent verbatim to every
 * connected socket, then the POST is answered. Also used to measure a bare server's heap per
 * idle connection.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { serveParent } from './child.js'

const http = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const frame = Buffer.concat(chunks).toString('utf8')
    for (const client of wss.clients) client.send(frame)
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
})
const wss = new WebSocketServer({ server: http })
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
const port = (http.address() as AddressInfo).port

process.on('SIGTERM', () => {
  wss.close()
  http.close()
  process.exit(0)
})

serveParent({ url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` }, {
  heap() {
    const gc = (globalThis as { gc?: () => void }).gc
    for (let i = 0; i < 3; i++) gc?.()
    const usage = process.memoryUsage()
    return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers, gc: gc !== undefined }
  },
  clients: () => wss.clients.size,
})
