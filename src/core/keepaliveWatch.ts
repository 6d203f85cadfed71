import { SyncError } from './errors.js'
import type { Timers } from './silenceWatch.js'
import { createSilenceWatch, silenceWindow } from './silenceWatch.js'
import type { TransportLifecycle } from './transportLifecycle.js'

/**
 * The silence watch of one socket, hooked to its lifecycle: silence past the window ends the
 * attempt as a retried `'network'` error, and the watch stops when the attempt ends. The
 * window only exists once the server has shown it keeps the socket busy (a heartbeat or
 * keepalive frame, a visible ping, an announced interval): a quiet socket and a dead one look
 * the same otherwise, so a server that shows nothing is never timed out.
 */
export interface KeepaliveWatch {
  /** The silence window in ms; null until the server has shown it keeps the socket busy. */
  readonly windowMs: number | null
  /** The server keeps the socket busy, every `intervalMs` if it said; the first call sets the window. */
  keepsBusy(intervalMs: number | undefined): void
  /** Something arrived: restarts the window, once there is one. */
  heard(): void
  /** A step (a handshake, an opening) that must finish within `ms`; replaced by the next `deadline`/`heard`. */
  deadline(ms: number, message: string): void
  stop(): void
}

export function createKeepaliveWatch(
  lifecycle: TransportLifecycle,
  options: { timers: Timers; heartbeatMs: number | undefined; silentMessage: (windowMs: number) => string },
): KeepaliveWatch {
  const silence = createSilenceWatch(options.timers, (message) => lifecycle.finish(new SyncError('network', message), true))
  lifecycle.onRelease(silence.stop)
  let windowMs: number | null = null
  return {
    get windowMs() {
      return windowMs
    },
    keepsBusy(intervalMs) {
      if (windowMs === null && options.heartbeatMs !== undefined) windowMs = silenceWindow(options.heartbeatMs, intervalMs)
    },
    heard() {
      if (windowMs !== null && !lifecycle.done) silence.watch(windowMs, options.silentMessage(windowMs))
    },
    deadline(ms, message) {
      if (!lifecycle.done) silence.watch(ms, message)
    },
    stop: silence.stop,
  }
}
