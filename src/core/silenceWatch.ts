import type { Environment } from './environment.js'

export type Timers = Pick<Environment, 'setTimeout' | 'clearTimeout' | 'now'>

/** Timers looked up at call time, so fake timers installed after import still apply. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

/**
 * One pending "nothing heard for too long" deadline. A half-open path (a proxy that swallows
 * bytes and closes nothing) leaves a socket looking open forever; only silence gives it away.
 */
export interface SilenceWatch {
  /** (Re)starts the deadline: `onSilent(message)` runs unless `watch` or `stop` is called within `ms`. */
  watch(ms: number, message: string): void
  stop(): void
}

/**
 * `watch` runs once per network chunk, so with a clock (`timers.now`) a repeat of the same
 * window only notes the time: the pending timer, when it fires, re-arms for what is left of the
 * window after the last `watch` instead. Whether to give up is decided by "nothing since the
 * timer was armed", never by comparing clock readings, so a jumping wall clock can only delay
 * the verdict (to two windows at most), never cause a false silence.
 */
export function createSilenceWatch(timers: Timers, onSilent: (message: string) => void): SilenceWatch {
  let timer: unknown = null
  let windowMs = 0
  let message = ''
  let heardAt = 0
  let heardSinceArmed = false
  const stop = (): void => {
    if (timer === null) return
    timers.clearTimeout(timer)
    timer = null
  }
  const arm = (ms: number): void => {
    heardSinceArmed = false
    timer = timers.setTimeout(expired, ms)
  }
  const expired = (): void => {
    timer = null
    if (heardSinceArmed && timers.now !== undefined) {
      // Outside (0, window] the clock jumped (or the loop stalled) since the last chunk; with
      // something heard since arming, wait one whole window more rather than trust the reading.
      const left = heardAt + windowMs - timers.now()
      return arm(left > 0 && left <= windowMs ? left : windowMs)
    }
    onSilent(message)
  }
  return {
    watch(ms, nextMessage) {
      message = nextMessage
      if (timer !== null && ms === windowMs && timers.now !== undefined) {
        heardAt = timers.now()
        heardSinceArmed = true
        return
      }
      stop()
      windowMs = ms
      arm(ms)
    },
    stop,
  }
}

/**
 * Calls `listener` on every WebSocket ping, where the implementation lets us see them: the
 * `ws` package (Node) emits 'ping'; browsers answer pings without telling the page.
 * @returns whether pings are visible on this socket
 */
export function onPing(socket: WebSocket, listener: () => void): boolean {
  const emitter = socket as unknown as { on?: unknown }
  if (typeof emitter.on !== 'function') return false
  ;(emitter.on as (event: string, listener: () => void) => void).call(socket, 'ping', listener)
  return true
}

/** The silence window for a server that says something every `intervalMs`: never under two intervals. */
export function silenceWindow(heartbeatMs: number, intervalMs: number | undefined): number {
  return intervalMs === undefined ? heartbeatMs : Math.max(heartbeatMs, 2 * intervalMs)
}
