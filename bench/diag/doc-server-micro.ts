/**
 * Diagnosis for case 10, not a case (`node --import tsx bench/diag/doc-server-micro.ts`): the
 * documents server's own CPU per edit, with no sockets, for comparing builds of it in one
 * process. TREES (comma-separated source roots, each holding src/server/...; default this
 * worktree) are loaded side by side; each round runs every tree in turn (alternating the
 * order) on case 10's shape: 50 documents × 4 editors (Automerge clients in this process,
 * each with its sync state), fileStorage with fsync in a temporary directory. An edit is one
 * editor's change, handed to the server, then every client reads and answers until all is
 * quiet, then the writer waits for the server's acknowledgement (its change stored). The
 * server's CPU is the process's CPU over the round less what the clients' own calls used.
 * ROUNDS (default 10), EDITS per document per round (default 8).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'

const TREES = (process.env.TREES ?? new URL('../..', import.meta.url).pathname).split(',')
const ROUNDS = Number(process.env.ROUNDS ?? 10)
const EDITS = Number(process.env.EDITS ?? 8)
const DOCS = 50
const PEERS = 4

interface ServerMessageLike { type: string; data?: Uint8Array }
interface PeerLinkLike { peerId: string; send(message: ServerMessageLike): void; sendError(text: string): void }
interface DocumentLike {
  attach(peer: PeerLinkLike): void
  receiveSync(peer: PeerLinkLike, message: { type: 'sync'; senderId: string; documentId: string; data: Uint8Array }): unknown
  close(): Promise<void>
}
interface Tree {
  root: string
  SyncedDocument: new (options: Record<string, unknown>) => DocumentLike
  fileStorage: (dir: string) => { saveDoc(id: string, binary: Uint8Array): Promise<void>; close(): Promise<void> }
}

let clientMicros = 0
/** Runs a client-side call, counting its CPU apart from the server's. */
function client<T>(fn: () => T): T {
  const before = process.cpuUsage()
  try {
    return fn()
  } finally {
    const used = process.cpuUsage(before)
    clientMicros += used.user + used.system
  }
}

class Client {
  doc: A.Doc<{ seq: Record<string, number> }>
  sync = A.initSyncState()
  readonly inbox: Uint8Array[] = []
  readonly link: PeerLinkLike
  constructor(readonly peerId: string, doc: A.Doc<{ seq: Record<string, number> }>) {
    this.doc = doc
    this.link = { peerId, send: (message) => message.type === 'sync' && message.data && this.inbox.push(message.data), sendError: (text) => { throw new Error(text) } }
  }
  talk(document: DocumentLike, documentId: string): boolean {
    const [sync, data] = client(() => A.generateSyncMessage(this.doc, this.sync))
    this.sync = sync
    if (!data) return false
    document.receiveSync(this.link, { type: 'sync', senderId: this.peerId, documentId, data })
    return true
  }
  read(): boolean {
    if (this.inbox.length === 0) return false
    for (const data of this.inbox.splice(0)) [this.doc, this.sync] = client(() => A.receiveSyncMessage(this.doc, this.sync, data))
    return true
  }
}

async function load(root: string): Promise<Tree> {
  const synced = (await import(join(root, 'src/server/docs/syncedDocument.ts'))) as { SyncedDocument: Tree['SyncedDocument'] }
  const storage = (await import(join(root, 'src/server/storage/fileStorage.ts'))) as { fileStorage: Tree['fileStorage'] }
  return { root, SyncedDocument: synced.SyncedDocument, fileStorage: storage.fileStorage }
}

const settle = (document: DocumentLike, documentId: string, clients: Client[]): void => {
  for (let round = 0; round < 50; round++) {
    const read = clients.map((c) => c.read()).some(Boolean)
    const talked = clients.map((c) => c.talk(document, documentId)).some(Boolean)
    if (!read && !talked) return
  }
  throw new Error('did not settle')
}

async function runTree(tree: Tree): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'syncline-micro-'))
  const storage = tree.fileStorage(dir)
  const docs = Array.from({ length: DOCS }, (_, i) => {
    const base = A.from({ seq: { p0: 0, p1: 0, p2: 0, p3: 0 } })
    const documentId = `doc-${i}`
    const document = new tree.SyncedDocument({
      documentId, doc: A.clone(base), serverPeerId: 'server', storage, saveDebounceMs: 100, reportError: (error: unknown) => { throw error },
      onIdle: () => {}, maxDocumentBytes: 64 * 2 ** 20, maxSyncMessageBytes: 0, size: 0,
    })
    const clients = Array.from({ length: PEERS }, (_, peer) => new Client(`peer-${i}-${peer}`, A.clone(base)))
    for (const c of clients) document.attach(c.link)
    settle(document, documentId, clients)
    return { document, documentId, clients }
  })
  clientMicros = 0
  const before = process.cpuUsage()
  for (let edit = 0; edit < EDITS; edit++) {
    const writers = docs.map(({ document, documentId, clients }) => {
      const writer = clients[edit % PEERS]!
      writer.doc = client(() => A.change(writer.doc, (doc) => { doc.seq[`p${edit % PEERS}`] = edit + 1 }))
      writer.talk(document, documentId)
      settle(document, documentId, clients)
      return writer
    })
    // The writers' acknowledgements come once their changes are stored.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      docs.forEach(({ document, documentId, clients }) => settle(document, documentId, clients))
      if (writers.every((writer) => client(() => A.hasOurChanges(writer.doc, writer.sync)))) break
    }
  }
  const used = process.cpuUsage(before)
  const serverMicros = used.user + used.system - clientMicros
  await Promise.all(docs.map(({ document }) => document.close()))
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
  return serverMicros / 1000 / (DOCS * EDITS)
}

const trees = await Promise.all(TREES.map(load))
const results = new Map(trees.map((tree) => [tree.root, [] as number[]]))
await runTree(trees[0]!)
for (let round = 0; round < ROUNDS; round++) {
  for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) results.get(tree.root)!.push(await runTree(tree))
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const first = results.get(trees[0]!.root)!
for (const [root, list] of results) {
  const ratios = list.map((value, i) => value / first[i]!)
  console.log(`${root}: server CPU per edit median ${median(list).toFixed(3)} ms (${list.map((v) => v.toFixed(2)).join(' ')}); ratio to ${trees[0]!.root} per round: median ${median(ratios).toFixed(3)}`)
}
