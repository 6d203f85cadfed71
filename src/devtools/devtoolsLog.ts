import type { SyncClient } from '../core/client.js'
import type { OutboxEntry } from '../core/cache/types.js'
import type { DocStore } from '../core/docs/types.js'
import type { SyncEvent } from '../core/syncEvents.js'
import { Listeners } from '../core/subscribable.js'

export type TransitionEvent = Extract<SyncEvent, { type: 'transition' }>
export type FrameEvent = Extract<SyncEvent, { type: 'frame' }>

export interface DevtoolsLogOptions {
  /** Transitions kept per connection. @default 200 */
  maxTransitions?: number
  /** Frames kept, across connections. @default 100 */
  maxFrames?: number
  /** Keep frame bodies (they may hold user data). @default false */
  bodies?: boolean
}

/**
 * What the panel shows, gathered from `client.onEvent` while it is mounted: bounded, so an
 * open panel on a busy page does not grow without end.
 */
export class DevtoolsLog {
  readonly transitions = new Map<string, TransitionEvent[]>()
  frames: FrameEvent[] = []
  readonly outboxes = new Map<string, readonly OutboxEntry[]>()
  /** Per document id: each peer heard through presence since the panel mounted, and when it was last heard. */
  readonly peers = new Map<string, Map<string, number>>()
  version = 0
  /** The presence listener on each open document store. */
  readonly #followed = new Map<DocStore<unknown>, () => void>()
  readonly #listeners = new Listeners()
  readonly #maxTransitions: number
  readonly #maxFrames: number
  readonly #bodies: boolean

  constructor(options: DevtoolsLogOptions = {}) {
    this.#maxTransitions = options.maxTransitions ?? 200
    this.#maxFrames = options.maxFrames ?? 100
    this.#bodies = options.bodies === true
  }

  /** Listens to `client` until the returned function is called. */
  listen(client: SyncClient): () => void {
    this.#followDocuments(client)
    const stop = client.onEvent(
      (event) => {
        if (event.type === 'store' && event.kind === 'documents') this.#followDocuments(client)
        this.#add(event)
      },
      { bodies: this.#bodies },
    )
    return () => {
      stop()
      for (const unlisten of this.#followed.values()) unlisten()
      this.#followed.clear()
    }
  }

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  getVersion = (): number => this.version

  /** Listens to presence on every open document (usePresence's `{ presence }` messages; `null` is a peer leaving). */
  #followDocuments(client: SyncClient): void {
    const open = new Set(client.inspectStores().documents)
    for (const [store, unlisten] of this.#followed) {
      if (!open.has(store)) {
        unlisten()
        this.#followed.delete(store)
      }
    }
    for (const store of open) {
      if (this.#followed.has(store)) continue
      const unlisten = store.onEphemeral((message, { senderId }) => {
        if (typeof message !== 'object' || message === null || !('presence' in message)) return
        const peers = this.peers.get(store.documentId) ?? new Map<string, number>()
        if (message.presence === null) peers.delete(senderId)
        else peers.set(senderId, Date.now())
        this.peers.set(store.documentId, peers)
        this.#changed()
      })
      this.#followed.set(store, unlisten)
    }
  }

  #changed(): void {
    this.version++
    this.#listeners.notify()
  }

  #add(event: SyncEvent): void {
    if (event.type === 'transition') {
      const list = this.transitions.get(event.connection) ?? []
      this.transitions.set(event.connection, [...list, event].slice(-this.#maxTransitions))
    } else if (event.type === 'frame') {
      this.frames = [...this.frames, event].slice(-this.#maxFrames)
    } else if (event.type === 'outbox') {
      this.outboxes.set(event.connection, event.entries)
    }
    this.#changed()
  }
}
