import type { Environment } from '../environment.js'
import { defaultEnvironment } from '../environment.js'
import { Listeners } from '../subscribable.js'
import type { DocStore } from './types.js'

export interface PresenceOptions {
  /** How often this peer repeats its state, so late joiners and reconnected peers see it. @default 5000 */
  heartbeatMs?: number | undefined
  /** A peer not heard from for this long is gone (a closed tab says nothing). @default 3 × heartbeatMs */
  timeoutMs?: number | undefined
  environment?: Environment | undefined
}

/** Another peer's presence in a document. */
export interface PeerPresence<S> {
  /** The other client's peer id (one per connection: each tab is its own peer). */
  readonly peerId: string
  readonly state: S
  /** When this peer was last heard from (`Date.now()` here). */
  readonly lastSeen: number
}

/** What travels in an ephemeral message; `null` says "I left". */
interface PresenceMessage {
  readonly presence: unknown
}

function isPresenceMessage(message: unknown): message is PresenceMessage {
  return typeof message === 'object' && message !== null && 'presence' in message
}

/**
 * Who else is looking at a document, and what they want others to see (cursor, selection,
 * name): built on the document's ephemeral messages, so it works through any automerge-repo
 * server that relays them. Nothing is stored. Follows the `useSyncExternalStore` contract.
 */
export class DocPresence<S> {
  readonly #store: DocStore<unknown>
  readonly #env: Environment
  readonly #heartbeatMs: number
  readonly #timeoutMs: number
  readonly #listeners = new Listeners()
  readonly #peers = new Map<string, PeerPresence<S>>()
  #snapshot: readonly PeerPresence<S>[] = []
  #local: S | null = null
  #timer: unknown = null
  #unlisten: () => void
  #unlistenStore: () => void
  /** The last state could not be sent (not connected yet): send it as soon as the document moves. */
  #unsent = false
  #closed = false

  constructor(store: DocStore<unknown>, options: PresenceOptions = {}) {
    this.#store = store
    this.#env = options.environment ?? defaultEnvironment
    this.#heartbeatMs = options.heartbeatMs ?? 5000
    this.#timeoutMs = options.timeoutMs ?? this.#heartbeatMs * 3
    this.#unlisten = store.onEphemeral((message, meta) => this.#receive(message, meta.senderId))
    // The document's snapshot changes as it connects and syncs: a good moment to retry.
    this.#unlistenStore = store.subscribe(() => {
      if (this.#unsent && this.#local !== null) this.#announce()
    })
    this.#tick()
  }

  /** The other peers, sorted by peer id; the same array while nothing changed. */
  getSnapshot = (): readonly PeerPresence<S>[] => this.#snapshot

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  /** Shows `state` to the other peers now and on every heartbeat; `null` withdraws it. */
  set(state: S | null): void {
    if (this.#closed) return
    this.#local = state
    this.#announce()
  }

  /** Tells the other peers this one left, and stops. */
  close(): void {
    if (this.#closed) return
    if (this.#local !== null) this.#store.broadcast({ presence: null } satisfies PresenceMessage)
    this.#closed = true
    this.#unlisten()
    this.#unlistenStore()
    if (this.#timer !== null) this.#env.clearTimeout(this.#timer)
    this.#timer = null
  }

  #receive(message: unknown, peerId: string): void {
    // Other apps may use ephemeral messages for their own purposes: skip what is not presence.
    if (!isPresenceMessage(message)) return
    if (message.presence === null) {
      if (this.#peers.delete(peerId)) this.#publish()
      return
    }
    const known = this.#peers.has(peerId)
    this.#peers.set(peerId, { peerId, state: message.presence as S, lastSeen: Date.now() })
    this.#publish()
    // A newcomer has not seen us yet: answer now instead of at the next heartbeat.
    if (!known && this.#local !== null) this.#announce()
  }

  #announce(): void {
    this.#unsent = !this.#store.broadcast({ presence: this.#local } satisfies PresenceMessage)
  }

  #tick(): void {
    this.#timer = this.#env.setTimeout(() => {
      this.#timer = null
      if (this.#closed) return
      if (this.#local !== null) this.#announce()
      const cutoff = Date.now() - this.#timeoutMs
      let expired = false
      for (const [peerId, peer] of this.#peers) {
        if (peer.lastSeen < cutoff) expired = this.#peers.delete(peerId)
      }
      if (expired) this.#publish()
      this.#tick()
    }, this.#heartbeatMs)
  }

  #publish(): void {
    this.#snapshot = [...this.#peers.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    this.#listeners.notify()
  }
}
