import type { Environment } from './environment.js'

export type Timers = Pick<Environment, 'setTimeout' | 'clearTimeout'>

/** Timers looked up at call time, so fake timers installed after import still apply. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
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

export function createSilenceWatch(timers: Timers, onSilent: (message: string) => void): SilenceWatch {
  let timer: unknown = null
  const stop = (): void => {
    if (timer === null) return
    timers.clearTimeout(timer)
    timer = null
  }
  return {
    watch(ms, message) {
      stop()
      timer = timers.setTimeout(() => {
        timer = null
        onSilent(message)
      }, ms)
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
