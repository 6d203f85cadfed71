import { SyncError } from './errors.js'
import type { Environment } from './environment.js'
import type { BackoffOptions, MachineEvent, MachineState } from './machine.js'
import { backoffDelay, initialMachineState, transition } from './machine.js'
import type { TapPoint } from './eventTap.js'
import type { SilenceWatch } from './silenceWatch.js'
import { createSilenceWatch } from './silenceWatch.js'

/** What a transport may tell the driver about one connection attempt. */
export interface ConnectAttempt {
  /** Connected; the server is catching us up (`snapshot`). */
  opened(): void
  /** Catch-up complete (`live`). */
  caughtUp(): void
  /** The connection ended. `retry: false` ends in `closed` whatever the reconnect option says. */
  lost(error: SyncError | null, options?: { retry?: boolean }): void
  /** A skipped bad frame or similar: surfaced as `error`, status unchanged. */
  problem(error: SyncError): void
  /** Any sign of life (data or keepalive); resets the heartbeat watchdog. */
  alive(): void
  /** Aborted when this attempt is superseded or the driver stops. */
  readonly signal: AbortSignal
}

export interface TransportHandle {
  close(): void
}

export interface ConnectionDriverOptions {
  connect: (attempt: ConnectAttempt) => TransportHandle
  /** @default true */
  reconnect?: boolean | BackoffOptions | undefined
  /**
   * Silence longer than this counts as a dead connection, and an attempt that has not
   * `opened` within it as a failed one (a half-open path swallows the request). Off when undefined.
   */
  heartbeatMs?: number | undefined
  /**
   * Required, not defaulted: the driver loads after the page (deferredDriver.ts), and importing
   * defaultEnvironment here would make environment.ts a chunk of its own, shared with the page.
   */
  environment: Environment
  onChange: (state: MachineState, previous: MachineState) => void
  /** Where transitions and the backoff chosen are reported (`client.onEvent`). */
  tap?: TapPoint | undefined
}

/**
 * Runs the state machine against the real world: opens transports, schedules backoff
 * timers, listens for `online`/visibility while it is running, and ignores callbacks from
 * attempts it has already abandoned (a late `opened` from a closed socket must not
 * resurrect it).
 */
export class ConnectionDriver {
  #state: MachineState = initialMachineState
  #options: ConnectionDriverOptions
  #env: Environment
  #attemptId = 0
  #abort: AbortController | null = null
  #transport: TransportHandle | null = null
  #retryTimer: unknown = null
  /** The heartbeat watchdog of the current attempt; stopped whenever an attempt ends. */
  #heartbeat: SilenceWatch
  #heartbeatMessages: Record<'did not open' | 'silent', string> | null = null
  #unlisten: Array<() => void> = []

  constructor(options: ConnectionDriverOptions) {
    this.#options = options
    this.#env = options.environment
    this.#heartbeat = createSilenceWatch(this.#env, (message) => {
      if (this.#abort !== null) this.#onLost(new SyncError('network', message), true)
    })
  }

  get state(): MachineState {
    return this.#state
  }

  start(): void {
    if (this.#state.status !== 'idle' && this.#state.status !== 'closed') return
    this.#listenForWakeUps()
    this.#dispatch({ type: 'start' })
    this.#connect()
  }

  stop(): void {
    this.#teardownAttempt()
    this.#clearRetryTimer()
    for (const unlisten of this.#unlisten.splice(0)) unlisten()
    this.#dispatch({ type: 'stop' })
  }

  /** Surfaces a problem found outside the transport (e.g. a cache failure). */
  reportProblem(error: SyncError): void {
    this.#dispatch({ type: 'problem', error })
  }

  #dispatch(event: MachineEvent): void {
    const previous = this.#state
    const next = transition(previous, event)
    if (next === previous) return
    this.#state = next
    const point = this.#options.tap
    point?.tap.emit?.('transition', point, previous, next, event)
    this.#options.onChange(next, previous)
  }

  #connect(): void {
    this.#teardownAttempt()
    const id = ++this.#attemptId
    const abort = new AbortController()
    this.#abort = abort
    // The attempt's id moves on before its signal aborts (#teardownAttempt), so the id alone
    // says whether it is current: this runs per network chunk, and the signal's getter is not free.
    const current = (): boolean => id === this.#attemptId
    const attempt: ConnectAttempt = {
      signal: abort.signal,
      opened: () => {
        if (!current()) return
        this.#dispatch({ type: 'opened' })
        this.#armHeartbeat()
      },
      caughtUp: () => {
        if (current()) this.#dispatch({ type: 'caughtUp' })
      },
      alive: () => {
        if (current()) this.#armHeartbeat()
      },
      problem: (error) => {
        if (current()) this.#dispatch({ type: 'problem', error })
      },
      lost: (error, options) => {
        if (current()) this.#onLost(error, options?.retry ?? true)
      },
    }
    this.#armHeartbeat('did not open')
    try {
      this.#transport = this.#options.connect(attempt)
    } catch (error) {
      attempt.lost(new SyncError('network', 'Could not start the connection', { cause: error }))
    }
  }

  #scheduleRetry(): void {
    this.#clearRetryTimer()
    const backoff = typeof this.#options.reconnect === 'object' ? this.#options.reconnect : {}
    const delay = backoffDelay(this.#state.attempt, backoff, () => this.#env.random())
    const point = this.#options.tap
    point?.tap.emit?.('backoff', point, delay)
    this.#retryTimer = this.#env.setTimeout(() => {
      this.#retryTimer = null
      this.#retryNow()
    }, delay)
  }

  #retryNow(): void {
    if (this.#state.status !== 'reconnecting') return
    this.#clearRetryTimer()
    this.#dispatch({ type: 'retry' })
    this.#connect()
  }

  #listenForWakeUps(): void {
    if (this.#unlisten.length > 0) return
    // Coming back online or to the tab is the best moment to retry: skip the backoff wait.
    this.#unlisten.push(this.#env.onOnline(() => this.#retryNow()))
    this.#unlisten.push(this.#env.onVisible(() => this.#retryNow()))
    // A connection that looks open while the device is offline is not to be trusted (a
    // loopback or half-open socket can stay "open" for minutes): drop it, so the status says
    // so at once, and connect again as soon as the device is back online.
    if (this.#env.onOffline) this.#unlisten.push(this.#env.onOffline(() => this.#wentOffline()))
  }

  #wentOffline(): void {
    const { status } = this.#state
    if (status !== 'connecting' && status !== 'snapshot' && status !== 'live') return
    this.#onLost(new SyncError('network', 'The device went offline; reconnecting when it is back online'), true)
  }

  #armHeartbeat(phase: 'did not open' | 'silent' = 'silent'): void {
    const window = this.#options.heartbeatMs
    if (window === undefined) return
    // Runs per chunk: the messages are made once, and the watch only re-arms a timer when needed.
    const messages = (this.#heartbeatMessages ??= {
      silent: `No data or keepalive for ${window} ms; reconnecting`,
      'did not open': `The connection did not open within ${window} ms; reconnecting`,
    })
    this.#heartbeat.watch(window, messages[phase])
  }

  #onLost(error: SyncError | null, retry: boolean): void {
    this.#teardownAttempt()
    this.#dispatch({ type: 'lost', error, retry: retry && this.#options.reconnect !== false })
    if (this.#state.status === 'reconnecting') this.#scheduleRetry()
    // Parked (auth failure, revoked access, reconnect off): nothing to wake up for.
    else for (const unlisten of this.#unlisten.splice(0)) unlisten()
  }

  #teardownAttempt(): void {
    this.#heartbeat.stop()
    const transport = this.#transport
    this.#transport = null
    // First, so that nothing the abort sets off (listeners run at once) counts as the attempt's.
    this.#attemptId++
    this.#abort?.abort()
    this.#abort = null
    transport?.close()
  }

  #clearRetryTimer(): void {
    if (this.#retryTimer === null) return
    this.#env.clearTimeout(this.#retryTimer)
    this.#retryTimer = null
  }
}
