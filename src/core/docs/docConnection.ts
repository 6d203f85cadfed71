import type { ConnectAttempt, TransportHandle } from '../connectionDriver.js'
import type * as ConnectionDriverModule from '../connectionDriver.js'
import { DeferredDriver } from '../deferredDriver.js'
import type { Environment } from '../environment.js'
import { defaultEnvironment } from '../environment.js'
import { SyncError, toSyncError } from '../errors.js'
import type { MachineState } from '../machine.js'
import { checkHeartbeatMs } from '../heartbeatOption.js'
import { LazyModule } from '../lazyModule.js'
import { StoreRegistry } from '../storeRegistry.js'
import { Listeners } from '../subscribable.js'
import type { Automerge } from './automerge.js'
import { loadAutomerge } from './automerge.js'
import type { CompactionPolicy } from './docPersister.js'
import type { DocSocket, DocSocketHandlers } from './docSocket.js'
import type { DocSessionOptions } from './docSession.js'
import { socketUrl } from './socketUrl.js'
import type * as DocEngineCode from './docEngine.js'
import type { EngineLoader } from './engineLoader.js'
import { engineLoader } from './engineLoader.js'
import type { DocLink } from './docLink.js'
import type { ClosedStore, DocEvent, DocSessionPort, KeptSyncState } from './sessionPort.js'
import { sessionPort } from './sessionPort.js'
import { DocumentStore } from './docStore.js'
import { generateDocumentId, parseDocumentUrl, randomId } from './documentId.js'
import type { DocConnection, DocConnectionOptions, DocConnectionSnapshot, DocStore } from './types.js'

const DEFAULT_CLOSE_TIMEOUT_MS = 5000
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** syncline's server sends a heartbeat every ~15 s; three missed ones mean the socket is dead. */
const DEFAULT_HEARTBEAT_MS = 45_000
/** How long the ticket request may take before the token goes in the URL instead. */
const TICKET_TIMEOUT_MS = 2000

/** Test seams, not public options. */
export interface DocConnectionInternals {
  compaction?: CompactionPolicy
  /** @default 10000 */
  handshakeTimeoutMs?: number
  /** Replaces the Automerge loader (tests that simulate a missing peer dependency). */
  loadAutomerge?: () => Promise<Automerge>
  /** Replaces the import of the document code (tests that simulate a chunk that fails to arrive). */
  loadDocumentCode?: () => Promise<typeof DocEngineCode>
}

/** The live socket of the current session, once the server has answered `join`. */
interface Session {
  id: number
  socket: DocSocket
  serverPeerId: string
  attempt: ConnectAttempt
  /** What the stores send through. */
  port: DocSessionPort
}

/**
 * One connection to an automerge-repo sync server (protocol "1") and the documents opened
 * on it. The connection lifecycle is the shared state machine, run by `ConnectionDriver`:
 * `connecting` until the server answers `join` with `peer`, `snapshot` until every open
 * document has finished its first sync round, then `live`.
 */
export class AutomergeDocConnection implements DocConnection {
  readonly #options: DocConnectionOptions
  readonly #internals: DocConnectionInternals
  readonly #env: Environment
  /** The driver's code (and the state machine's) loads with the first `start()`. */
  readonly #driver: DeferredDriver<typeof ConnectionDriverModule>
  readonly #listeners = new Listeners()
  /** The open stores: one per document, closed at the last `close()` of its `open()`s. */
  readonly #stores: StoreRegistry<DocumentStore<unknown>>
  /** Cache writes of stores closed while this connection runs; `close()` waits for them. */
  readonly #closingStores = new Set<Promise<void>>()
  /** What closed documents last shared with the server, for when they are opened again. */
  readonly #keptSyncStates = new Map<string, KeptSyncState>()
  readonly #peerId: string
  readonly #link: DocLink
  /** Ephemeral messages: one session id per connection object, `count` increasing within it. */
  readonly #ephemeralSessionId = randomId()
  #ephemeralCount = 0
  #session: Session | null = null
  #sessionCounter = 0
  /** Automerge and the document code (docEngine.ts), fetched side by side: first paint needs both. */
  readonly #engine: EngineLoader
  /** The socket code loads with the first connect, beside Automerge: the first paint needs neither. */
  readonly #sessions = new LazyModule(() =>
    import('./docSession.js').then(({ sessionConnector, decodeCbor, encodeCbor }) => ({ connect: sessionConnector(this.#sessionOptions), decode: decodeCbor, encode: encodeCbor })),
  )
  #snapshot: DocConnectionSnapshot
  readonly #sessionOptions: DocSessionOptions

  constructor(options: DocConnectionOptions, internals: DocConnectionInternals = {}) {
    checkHeartbeatMs(options.heartbeatMs)
    this.#options = { ...options, url: socketUrl(options.url) }
    this.#internals = internals
    this.#engine = engineLoader(internals.loadAutomerge ?? loadAutomerge, internals.loadDocumentCode)
    this.#env = options.environment ?? defaultEnvironment
    this.#peerId = options.peerId ?? `syncline-${randomId()}`
    const url = this.#options.url
    const handshakeTimeoutMs = internals.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
    this.#sessionOptions = {
      url,
      peerId: this.#peerId,
      token: options.token,
      ticketUrl: options.ticketUrl,
      // Bound: the browser's fetch refuses to run with any other `this` ("Illegal invocation").
      fetch: options.fetch ?? globalThis.fetch?.bind(globalThis),
      // A server that takes the upgrade but never answers HTTP must not hold the connection.
      ticketTimeoutMs: Math.min(TICKET_TIMEOUT_MS, handshakeTimeoutMs),
      WebSocket: options.WebSocket,
      handshakeTimeoutMs,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      environment: this.#env,
      automerge: () => this.#engine.engine.load(),
      ignored: (error) => options.onIgnoredError?.(error),
      tap: options.tap && { tap: options.tap, connection: url, kind: 'documents' },
    }
    this.#snapshot = { status: 'idle', error: null, peerId: this.#peerId }
    const onChange = (state: MachineState): void => this.#onMachineChange(state)
    this.#driver = new DeferredDriver(
      connectionDriverCode,
      ({ ConnectionDriver }) =>
        new ConnectionDriver({
          connect: (attempt) => this.#connect(attempt),
          reconnect: options.reconnect,
          environment: this.#env,
          onChange,
          tap: this.#sessionOptions.tap,
        }),
      this.#env,
      onChange,
    )
    this.#link = this.#createLink()
    this.#stores = new StoreRegistry<DocumentStore<unknown>>({
      environment: this.#env,
      releaseDelayMs: 0,
      releaseAtOnce: true,
      onRelease: (store) => this.#forget(store),
    })
  }

  getSnapshot = (): DocConnectionSnapshot => this.#snapshot

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  start(): void {
    // Start fetching Automerge now: documents opened next can then be built at once.
    this.#engine.engine.load().catch(() => {})
    this.#sessions.load().catch(() => {})
    this.#driver.start()
  }

  async close(): Promise<void> {
    const stores = this.#stores.values()
    for (const store of stores) store.sync?.flushSend()
    const cacheWrites = Promise.all([...stores.map((store) => store.flushCache()), ...this.#closingStores])
    if (this.#session !== null) await this.#untilServerHasChanges(stores)
    this.#driver.stop()
    await cacheWrites
  }

  open<T>(idOrUrl: string): DocStore<T> {
    const { documentId } = parseDocumentUrl(idOrUrl)
    return this.#retain((this.#stores.get(documentId) as DocumentStore<T> | undefined) ?? this.#add<T>(documentId, { kind: 'open' }))
  }

  create<T>(initial?: T): DocStore<T> {
    if (initial !== undefined && (typeof initial !== 'object' || initial === null || Array.isArray(initial))) {
      throw new SyncError('bad-input', 'create(initial): the initial value of an Automerge document must be an object')
    }
    return this.#retain(this.#add<T>(generateDocumentId(), { kind: 'create', initial }))
  }

  #retain<T>(store: DocumentStore<T>): DocStore<T> {
    this.#stores.retain(store as DocumentStore<unknown>)
    return store
  }

  #add<T>(documentId: string, origin: { kind: 'open' } | { kind: 'create'; initial: unknown }): DocumentStore<T> {
    const kept = this.#keptSyncStates.get(documentId)
    this.#keptSyncStates.delete(documentId)
    const store = new DocumentStore<T>(this.#link, documentId, origin, kept)
    this.#stores.add(documentId, store as DocumentStore<unknown>)
    // Opened during `snapshot`, it is part of the catch-up: `loaded` syncs it when ready.
    return store
  }

  #createLink(): DocLink {
    return {
      context: {
        peerId: this.#peerId,
        cache: this.#options.cache,
        compaction: this.#internals.compaction,
        engine: () => this.#engine.engine.load(),
        engineIfLoaded: () => this.#engine.engine.loaded,
        engineArrived: () => this.#engine.arrived,
        ignored: (error) => this.#options.onIgnoredError?.(error),
      },
      session: () => this.#session?.port ?? null,
      report: (event) => this.#onStoreEvent(event),
    }
  }

  #onStoreEvent(event: DocEvent): void {
    switch (event.type) {
      case 'round-done':
        return this.#checkCaughtUp()
      case 'problem':
        this.#options.onIgnoredError?.(event.error)
        return this.#session?.attempt.problem(event.error)
      case 'release':
        return this.#stores.release(event.store as DocumentStore<unknown>)
    }
  }

  /** The registry has let go of `store`: shut it down, and keep what the server shares with it. */
  #forget(store: ClosedStore): void {
    store.shutdown()
    const kept = store.sync?.keep() ?? null
    if (kept !== null) this.#keptSyncStates.set(store.documentId, kept)
    const written = store.flushCache().finally(() => this.#closingStores.delete(written))
    this.#closingStores.add(written)
    // A store closed during `snapshot` no longer holds the catch-up back.
    this.#checkCaughtUp()
  }

  #connect(attempt: ConnectAttempt): TransportHandle {
    let session: TransportHandle | null = null
    let closed = false
    this.#sessions.load().then(
      ({ connect, decode, encode }) => {
        if (closed) return
        session = connect(attempt, {
          peer: (socket, serverPeerId) => this.#onPeer(attempt, socket, serverPeerId, encode),
          message: (message) => this.#route(message, decode),
          ended: (socket) => this.#endSession(socket),
        })
      },
      (error: unknown) => closed || attempt.lost(toSyncError(error, 'network')),
    )
    return {
      close: () => {
        closed = true
        session?.close()
      },
    }
  }

  #onPeer(attempt: ConnectAttempt, socket: DocSocket, serverPeerId: string, encode: (value: unknown) => Uint8Array): void {
    const id = ++this.#sessionCounter
    const ephemeral = { sessionId: this.#ephemeralSessionId, nextCount: () => ++this.#ephemeralCount, encode }
    const port = sessionPort(id, socket, { senderId: this.#peerId, targetId: serverPeerId }, ephemeral)
    this.#session = { id, socket, serverPeerId, attempt, port }
    attempt.opened()
    for (const store of this.#stores.values()) store.sync?.connected()
    this.#checkCaughtUp()
  }

  #endSession(socket: DocSocket | null): void {
    if (socket !== null && this.#session?.socket === socket) this.#session = null
  }

  #route(message: Parameters<DocSocketHandlers['message']>[0], decode: (data: Uint8Array) => unknown): void {
    if (message.type === 'ignored') return
    const store = this.#stores.get(message.documentId)
    // A document closed here: the server may still talk about it until it learns otherwise.
    if (!store) return
    switch (message.type) {
      case 'sync':
      case 'request':
        return store.toSync((sync) => sync.receive(message.data))
      case 'doc-unavailable':
        return store.toSync((sync) => sync.receiveUnavailable())
      case 'ephemeral':
        return store.ephemeral.receive(message, decode)
    }
  }

  #checkCaughtUp(): void {
    const session = this.#session
    if (!session || this.#driver.state.status !== 'snapshot') return
    for (const store of this.#stores.values()) if (!store.sync?.caughtUp) return
    session.attempt.caughtUp()
  }

  /** Waits until the server has every local change, the connection drops, or the timeout. */
  #untilServerHasChanges(stores: readonly DocumentStore<unknown>[]): Promise<void> {
    const pending = stores.filter((store) => store.hasUnsentChanges && !store.isClosed)
    if (pending.length === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const unsubscribers: Array<() => void> = []
      const timer = this.#env.setTimeout(done, this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS)
      function done(): void {
        for (const unsubscribe of unsubscribers) unsubscribe()
        resolve()
      }
      const check = (): void => {
        if (this.#session === null || pending.every((store) => !store.hasUnsentChanges)) {
          this.#env.clearTimeout(timer)
          done()
        }
      }
      unsubscribers.push(this.subscribe(check))
      for (const store of pending) unsubscribers.push(store.subscribe(check))
      check()
    })
  }

  #onMachineChange(state: MachineState): void {
    const connected = state.status === 'snapshot' || state.status === 'live'
    const serverPeerId = connected ? this.#session?.serverPeerId : undefined
    this.#snapshot = {
      status: state.status,
      error: state.error,
      peerId: this.#peerId,
      ...(serverPeerId !== undefined && { serverPeerId }),
    }
    this.#listeners.notify()
  }
}

/** Shared by every document connection: loaded by the first one started. */
const connectionDriverCode = new LazyModule(() => import('../connectionDriver.js'))

/** Connects to an automerge-repo sync server; call `start()` to connect. */
export function createDocConnection(options: DocConnectionOptions, internals?: DocConnectionInternals): AutomergeDocConnection {
  return new AutomergeDocConnection(options, internals)
}
