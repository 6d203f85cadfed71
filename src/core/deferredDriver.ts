import { SyncError } from './errors.js'
import type { Environment } from './environment.js'
import type { LazyModule } from './lazyModule.js'
import type { MachineState } from './machine.js'

/** What a store needs of its connection driver (`ConnectionDriver` is one). */
export interface Driver {
  readonly state: MachineState
  start(): void
  stop(): void
}

/** How long to wait before fetching the connection code again after a failed fetch. */
const LOAD_RETRY_MS = 2000

/**
 * A connection driver whose code (the driver, the state machine, the transport glue) loads
 * with the first `start()`, so that first paint from the cache does not wait for code it does
 * not use. A store with a cache has it fetched once the cache has painted (`start(after)`):
 * evaluated while the cache's answer is being taken in, it delayed that paint.
 *
 * While the code loads the state is what the state machine would say: `connecting` after
 * `start()`, `closed` after `stop()`. A failed fetch of the code (offline right after a
 * deploy) is `reconnecting` with a `'network'` error, tried again after a pause or when the
 * device comes back online or to the tab. `stop()` before the code arrives means no driver
 * is ever made, so nothing connects.
 */
export class DeferredDriver<M> implements Driver {
  readonly #module: LazyModule<M>
  readonly #make: (module: M) => Driver
  readonly #env: Environment
  readonly #onChange: (state: MachineState) => void
  #driver: Driver | null = null
  #state: MachineState = { status: 'idle', error: null, attempt: 0 }
  /** Started and not stopped since, while the code is not here yet. */
  #waiting = false
  #retry: Array<() => void> = []

  constructor(module: LazyModule<M>, make: (module: M) => Driver, env: Environment, onChange: (state: MachineState) => void) {
    this.#module = module
    this.#make = make
    this.#env = env
    this.#onChange = onChange
  }

  get state(): MachineState {
    return this.#driver?.state ?? this.#state
  }

  /**
   * `after`: fetch the code only once it settles (the store's first paint from its cache),
   * `connecting` meanwhile. Code that is already here starts at once.
   */
  start(after?: Promise<unknown>): void {
    if (this.#driver) return this.#driver.start()
    if (this.#waiting) return
    this.#waiting = true
    this.#set({ status: 'connecting', error: null, attempt: 0 })
    if (after === undefined || this.#module.loaded !== null) return this.#load()
    void after.then(() => {
      if (this.#waiting && !this.#driver) this.#load()
    })
  }

  stop(): void {
    if (this.#driver) return this.#driver.stop()
    if (!this.#waiting) return
    this.#waiting = false
    this.#cancelRetry()
    this.#set({ status: 'closed', error: null, attempt: 0 })
  }

  #load(): void {
    const loaded = this.#module.loaded
    if (loaded !== null) return this.#startWith(loaded)
    this.#module.load().then(
      (module) => {
        if (this.#waiting && !this.#driver) this.#startWith(module)
      },
      (error: unknown) => {
        if (!this.#waiting || this.#retry.length > 0) return
        const attempt = this.#state.attempt + 1
        this.#set({ status: 'reconnecting', error: new SyncError('network', 'Could not load the connection code; trying again', { cause: error }), attempt })
        const again = (): void => {
          this.#cancelRetry()
          if (!this.#waiting) return
          this.#set({ ...this.#state, status: 'connecting' })
          this.#load()
        }
        const timer = this.#env.setTimeout(again, LOAD_RETRY_MS)
        this.#retry = [() => this.#env.clearTimeout(timer), this.#env.onOnline(again), this.#env.onVisible(again)]
      },
    )
  }

  #startWith(module: M): void {
    this.#waiting = false
    this.#driver = this.#make(module)
    this.#driver.start()
  }

  #cancelRetry(): void {
    for (const cancel of this.#retry.splice(0)) cancel()
  }

  #set(state: MachineState): void {
    this.#state = state
    this.#onChange(state)
  }
}
