/**
 * A stock automerge-repo sync server as its README sets one up: Repo + WebSocketServerAdapter
 * + NodeFSStorageAdapter (in the directory given as the first argument), in its own process
 * so its CPU and memory are its own (case 10). Requests: heap (after GC with --expose-gc),
 * cpu (process.cpuUsage()).
 */
import { Repo } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { serveParent } from './child.js'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: automerge-storage-server.ts <storage dir>')

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
const repo = new Repo({
  network: [new WebSocketServerAdapter(wss as never)],
  storage: new NodeFSStorageAdapter(dir),
  // A sync server does not push documents to clients that did not ask for them.
  sharePolicy: async () => false,
})
await new Promise<void>((resolve, reject) => {
  wss.once('listening', resolve)
  wss.once('error', reject)
})

process.on('SIGTERM', () => {
  wss.close()
  void repo.shutdown().finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
})

serveParent({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }, {
  heap() {
    const gc = (globalThis as { gc?: () => void }).gc
    for (let i = 0; i < 3; i++) gc?.()
    const usage = process.memoryUsage()
    return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers, gc: gc !== undefined }
  },
  cpu: () => process.cpuUsage(),
})
