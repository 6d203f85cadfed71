import type { SyncClient } from '../core/client.js'
import type { OutboxEntry } from '../core/cache/types.js'
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
  version = 0
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
    return client.onEvent((event) => this.#add(event), { bodies: this.#bodies })
  }

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  getVersion = (): number => this.version

  #add(event: SyncEvent): void {
    if (event.type === 'transition') {
      const list = this.transitions.get(event.connection) ?? []
      this.transitions.set(event.connection, [...list, event].slice(-this.#maxTransitions))
    } else if (event.type === 'frame') {
      this.frames = [...this.frames, event].slice(-this.#maxFrames)
    } else if (event.type === 'outbox') {
      this.outboxes.set(event.connection, event.entries)
    }
    this.version++
    this.#listeners.notify()
  }
}
