/**
 * A stock automerge-repo sync server (Repo + WebSocketServerAdapter on `ws`), plus a bare
 * `ws` echo server, in their own process. Used as references by the document relay case.
 */
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { serveParent } from './child.js'

async function listen(wss: WebSocketServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  return (wss.address() as AddressInfo).port
}

const repoWss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
const repo = new Repo({
  network: [new WebSocketServerAdapter(repoWss as never)],
  // The server keeps no storage and announces nothing; clients ask for what they want.
  sharePolicy: async () => false,
})
const echoWss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
echoWss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
})

const [repoPort, echoPort] = await Promise.all([listen(repoWss), listen(echoWss)])

const shutdown = (): void => {
  // The adapter keeps a keep-alive timer until its WebSocketServer emits 'close'.
  repoWss.close()
  echoWss.close()
  void Promise.allSettled([repo.shutdown(), writer?.shutdown()]).finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', shutdown)

/** A client of this server living in this process: the "remote" writer of the re-render case. */
type RowsDoc = { rows: Record<string, { text: string }> }
let writer: Repo | null = null
const handles = new Map<string, DocHandle<RowsDoc>>()

serveParent({ repoUrl: `ws://127.0.0.1:${repoPort}`, echoUrl: `ws://127.0.0.1:${echoPort}` }, {
  createRows(message) {
    const { n } = message as unknown as { n: number }
    writer ??= new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${repoPort}`)] })
    const rows: RowsDoc['rows'] = {}
    for (let i = 0; i < n; i++) rows[rowKey(i)] = { text: `row ${rowKey(i)} v0` }
    const handle = writer.create<RowsDoc>({ rows })
    handles.set(handle.url, handle)
    return handle.url
  },
  editRow(message) {
    const { url, key, text } = message as unknown as { url: AutomergeUrl; key: string; text: string }
    const handle = handles.get(url)
    if (!handle) throw new Error(`no document ${url}`)
    handle.change((doc) => {
      doc.rows[key]!.text = text
    })
    return true
  },
})

function rowKey(i: number): string {
  return `row-${i.toString().padStart(4, '0')}`
}
