import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import * as A from '@automerge/automerge'
import bs58check from 'bs58check'
import { Decoder, Encoder } from 'cbor-x'
import { WebSocket, WebSocketServer } from 'ws'
import { createDocSyncService, memoryDocStorage } from '../../../src/server/docs/index.js'
import type { DocStorage, DocSyncService, DocSyncServiceOptions } from '../../../src/server/docs/index.js'
import type { SyncedDocumentOptions } from '../../../src/server/docs/syncedDocument.js'
import { SyncedDocument } from '../../../src/server/docs/syncedDocument.js'

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A fresh document id as automerge-repo makes them: 16 UUIDv4 bytes, bs58check. */
export function newDocumentId(): string {
  return bs58check.encode(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'))
}

/**
 * Polls until `check` returns a value: anything but `undefined`, `null` or `false` (null is
 * "not yet": a wait for a field that starts as null must not pass at once).
 */
export async function until<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== null && value !== false) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await delay(5)
  }
}

export interface DocServer {
  url: string
  service: DocSyncService
  storage: DocStorage
  errors: unknown[]
  /** Closes the service (flushing saves), the ws server and the http server. */
  close(): Promise<void>
}

const running = new Set<DocServer>()

/** The production wiring in miniature: http server, ws in noServer mode, upgrades on `/`. */
export async function startDocServer(options: Partial<DocSyncServiceOptions> = {}): Promise<DocServer> {
  const errors: unknown[] = []
  const storage = options.storage ?? memoryDocStorage()
  const service = createDocSyncService({ saveDebounceMs: 10, ...options, storage, onError: (error) => errors.push(error) })
  const wss = new WebSocketServer({ noServer: true })
  const server: Server = createServer((_request, response) => response.writeHead(404).end())
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => service.handleConnection(ws, request))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  const docServer: DocServer = {
    url: `ws://127.0.0.1:${port}/`,
    service,
    storage,
    errors,
    close: () =>
      (closing ??= (async () => {
        running.delete(docServer)
        await service.close()
        await new Promise<void>((resolve) => wss.close(() => resolve()))
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      })()),
  }
  running.add(docServer)
  return docServer
}

export type Message = Record<string, unknown> & { type: string }

const encoder = new Encoder({ tagUint8Array: false, useRecords: false })

interface PeerDoc {
  doc: A.Doc<Record<string, unknown>>
  syncState: A.SyncState
}

/**
 * A protocol "1" client written by hand (ws + cbor-x), to script exact frames. It keeps
 * Automerge documents and answers the server's sync messages like a real client would.
 */
export class RawPeer {
  readonly peerId: string
  readonly socket: WebSocket
  readonly messages: Message[] = []
  readonly docs = new Map<string, PeerDoc>()
  readonly closed: Promise<{ code: number; reason: string }>
  serverPeerId: string | undefined
  /** Called for every decoded message, after a sync message has been applied and answered. */
  onMessage: ((message: Message) => void) | undefined
  readonly #decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
  readonly #waiters = new Set<() => void>()

  private constructor(url: string, peerId: string) {
    this.peerId = peerId
    this.socket = new WebSocket(url)
    this.socket.binaryType = 'arraybuffer'
    this.closed = new Promise((resolve) => this.socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    this.socket.on('message', (data: ArrayBuffer) => this.#receive(new Uint8Array(data)))
    this.socket.on('error', () => {})
  }

  static async connect(url: string, { peerId = `raw-${randomUUID()}`, join = true } = {}): Promise<RawPeer> {
    const peer = new RawPeer(url, peerId)
    peers.add(peer)
    await new Promise<void>((resolve, reject) => {
      peer.socket.once('open', () => resolve())
      peer.socket.once('error', reject)
    })
    if (join) {
      peer.send({ type: 'join', senderId: peerId, peerMetadata: { isEphemeral: true }, supportedProtocolVersions: ['1'] })
      const answer = await peer.waitFor((m) => m.type === 'peer')
      peer.serverPeerId = answer.senderId as string
    }
    return peer
  }

  send(message: Record<string, unknown>): void {
    this.socket.send(encoder.encode(message))
  }

  /** Sends a document message with this peer's senderId and the server as target. */
  sendDoc(type: string, documentId: unknown, fields: Record<string, unknown> = {}): void {
    this.send({ type, senderId: this.peerId, targetId: this.serverPeerId ?? 'server', documentId, ...fields })
  }

  /** The first message (received so far or later) that matches. */
  waitFor(predicate: (message: Message) => boolean, timeoutMs = 3000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.messages.find(predicate)
        if (!found) return
        this.#waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`${this.peerId} timed out; got ${JSON.stringify(this.messages.map((m) => m.type))}`))
      }, timeoutMs)
      this.#waiters.add(check)
      check()
    })
  }

  /** Opens a document: `sync` when we have changes for it, otherwise `request`. */
  open(documentId: string, doc: A.Doc<Record<string, unknown>> = A.init()): void {
    const entry: PeerDoc = { doc, syncState: A.initSyncState() }
    this.docs.set(documentId, entry)
    const type = A.getHeads(doc).length > 0 ? 'sync' : 'request'
    const [syncState, data] = A.generateSyncMessage(entry.doc, entry.syncState)
    entry.syncState = syncState
    if (data) this.sendDoc(type, documentId, { data })
  }

  change(documentId: string, fn: (doc: Record<string, unknown>) => void): void {
    const entry = this.docs.get(documentId)
    if (!entry) throw new Error(`${documentId} is not open`)
    entry.doc = A.change(entry.doc, fn)
    this.#syncOut(documentId, entry)
  }

  doc(documentId: string): Record<string, unknown> | undefined {
    const entry = this.docs.get(documentId)
    return entry && (A.toJS(entry.doc) as Record<string, unknown>)
  }

  heads(documentId: string): A.Heads {
    const entry = this.docs.get(documentId)
    return entry ? A.getHeads(entry.doc) : []
  }

  /** True once the server has confirmed it holds every change of ours ("saved on the server"). */
  acknowledged(documentId: string): boolean {
    const entry = this.docs.get(documentId)
    return entry !== undefined && A.hasOurChanges(entry.doc, entry.syncState)
  }

  close(): void {
    this.socket.close()
  }

  #syncOut(documentId: string, entry: PeerDoc): void {
    for (;;) {
      const [syncState, data] = A.generateSyncMessage(entry.doc, entry.syncState)
      entry.syncState = syncState
      if (!data) return
      this.sendDoc('sync', documentId, { data })
    }
  }

  #receive(frame: Uint8Array): void {
    const message = this.#decoder.decode(frame) as Message
    this.messages.push(message)
    if (message.type === 'sync' && typeof message.documentId === 'string') {
      const entry = this.docs.get(message.documentId)
      if (entry) {
        ;[entry.doc, entry.syncState] = A.receiveSyncMessage(entry.doc, entry.syncState, message.data as Uint8Array)
        this.#syncOut(message.documentId, entry)
      }
    }
    this.onMessage?.(message)
    for (const check of [...this.#waiters]) check()
  }
}

const peers = new Set<RawPeer>()

/** For afterEach: closes every raw peer and every server started by these helpers. */
export async function closeAll(): Promise<void> {
  for (const peer of peers) peer.socket.terminate()
  peers.clear()
  await Promise.all([...running].map((server) => server.close()))
}

/** A document with some content, as a client would create it. */
export function docWith(value: Record<string, unknown>): A.Doc<Record<string, unknown>> {
  return A.from(value)
}

/** The stored binary of a document, loaded, as plain JS (undefined when nothing is stored). */
export async function stored(storage: DocStorage, documentId: string): Promise<Record<string, unknown> | undefined> {
  const binary = await storage.loadDoc(documentId)
  return binary && (A.toJS(A.load(binary)) as Record<string, unknown>)
}

/**
 * One document as the server holds it, driven by hand (no sockets): memory storage, a fresh
 * id, any reported error thrown into the test, and the server's size limits.
 */
export function syncedDocumentForTest(doc: A.Doc<unknown>, options: Partial<SyncedDocumentOptions> = {}): SyncedDocument {
  return new SyncedDocument({
    documentId: newDocumentId(),
    doc,
    serverPeerId: 'server',
    storage: memoryDocStorage(),
    saveDebounceMs: 0,
    reportError: (error) => {
      throw error
    },
    onIdle: () => {},
    maxDocumentBytes: 64 * 1024 * 1024,
    maxSyncMessageBytes: 64 * 1024,
    size: 0,
    ...options,
  })
}
