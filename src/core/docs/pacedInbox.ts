import type { Environment } from '../environment.js'

/**
 * How long one task may spend handling a socket's messages before the rest wait for the
 * next task. A socket read can hold hundreds of frames (a server relaying a burst of
 * changes faster than this page applies them, or a backlog sent as several messages), and
 * the socket hands them all over in one task: applied back to back, they block the page for
 * as long as they all take.
 */
export const MESSAGE_SLICE_MS = 10

const now: () => number = () => globalThis.performance?.now() ?? Date.now()

/**
 * Runs `callback` once the current task is over. Node runs every socket read that is ready in
 * one turn of its event loop, each followed by its microtasks, so there the task ends at
 * `setImmediate`, after this turn's reads (a slice per read let one turn block for two slices
 * or more: bench case 5, live burst). A browser runs each WebSocket message as a task of its
 * own, so the task ends with its microtasks; a timer would not do there, as a background tab
 * runs timers once a second or less often, and every message would wait for one.
 */
const whenTaskEnds: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (callback) => void globalThis.setImmediate(callback) : (callback) => queueMicrotask(callback)

/**
 * Hands messages to `handle` in arrival order, at once while the current task has spent
 * less than `sliceMs` on them (so a lone relayed change is applied without a hop), and
 * otherwise in later tasks, `sliceMs` at a time, so input and rendering get a turn between.
 */
export class PacedInbox<M> {
  readonly #handle: (message: M) => void
  readonly #env: Pick<Environment, 'setTimeout' | 'clearTimeout'>
  readonly #sliceMs: number
  readonly #queue: M[] = []
  /** When this task started handling messages; null once the task is over. */
  #sliceStart: number | null = null
  #timer: unknown = null
  readonly #now: () => number

  /** `clock` is for tests: a spin on the real clock takes longer whenever the machine is busy. */
  constructor(handle: (message: M) => void, env: Pick<Environment, 'setTimeout' | 'clearTimeout'>, sliceMs = MESSAGE_SLICE_MS, clock: () => number = now) {
    this.#handle = handle
    this.#env = env
    this.#sliceMs = sliceMs
    this.#now = clock
  }

  /** Messages waiting for a later task. */
  get waiting(): number {
    return this.#queue.length
  }

  push(message: M): void {
    if (this.#queue.length > 0 || this.#sliceSpent()) {
      this.#queue.push(message)
      this.#scheduleDrain()
      return
    }
    this.#handle(message)
  }

  /** Drops what waits (the session it belongs to is over). */
  clear(): void {
    this.#queue.length = 0
    if (this.#timer !== null) this.#env.clearTimeout(this.#timer)
    this.#timer = null
  }

  /** Starts timing this task's slice on first use; true once it is used up. */
  #sliceSpent(): boolean {
    const time = this.#now()
    if (this.#sliceStart === null) {
      this.#sliceStart = time
      whenTaskEnds(() => {
        this.#sliceStart = null
      })
    }
    return time - this.#sliceStart >= this.#sliceMs
  }

  #scheduleDrain(): void {
    if (this.#timer !== null) return
    this.#timer = this.#env.setTimeout(() => this.#drain(), 0)
  }

  #drain(): void {
    this.#timer = null
    while (this.#queue.length > 0 && !this.#sliceSpent()) this.#handle(this.#queue.shift()!)
    if (this.#queue.length > 0) this.#scheduleDrain()
  }
}
