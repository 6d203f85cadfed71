import type { SyncError } from './errors.js'

/**
 * The life of one connection attempt, shared by the SSE and WebSocket record transports and
 * the document socket: it opens at most once and ends exactly once — either with an error
 * reported to its owner (`finish`), or quietly because the owner closed it (`close`, or the
 * attempt's abort signal). Whatever happens after the end (a late socket event, a second
 * error, a timer) is ignored, so a transport never reports to an owner that moved on.
 */
export interface TransportLifecycle {
  /** True once finished or closed: from then on, nothing may be reported. */
  readonly done: boolean
  /** True once `open` has succeeded. */
  readonly opened: boolean
  /** Marks the connection open; true only the first time, and only while not done. */
  open(): boolean
  /** Ends with an error, once: runs the cleanups, then reports. Ignored when already done. */
  finish(error: SyncError, retry?: boolean): void
  /** Ends without reporting (the owner no longer listens). Idempotent. */
  close(): void
  /** Adds a cleanup run at the end, in the order added; at once when already done. */
  onRelease(cleanup: () => void): void
  /**
   * Runs the attempt's async body unless already done. A throw from it (a throwing owner
   * callback is a bug upstream) ends the attempt as `failure(thrown)`, visibly rather than
   * leaving it hanging.
   */
  run(body: () => Promise<void>, failure: (thrown: unknown) => SyncError): void
}

export interface TransportLifecycleOptions {
  /** The owner's abort: aborting closes the attempt quietly; already aborted means done from the start. */
  signal?: AbortSignal | undefined
  /** The one report of an end by error. `retry: false` for failures a retry cannot fix. */
  finished(error: SyncError, retry: boolean): void
}

export function createTransportLifecycle(options: TransportLifecycleOptions): TransportLifecycle {
  const { signal } = options
  let done = false
  let opened = false
  const cleanups: Array<() => void> = []

  const release = (): void => {
    signal?.removeEventListener('abort', close)
    // Cleanups do not throw (socket and stream releases swallow their own failures).
    for (const cleanup of cleanups.splice(0)) cleanup()
  }
  function close(): void {
    if (done) return
    done = true
    release()
  }
  const finish = (error: SyncError, retry = true): void => {
    if (done) return
    done = true
    release()
    options.finished(error, retry)
  }

  if (signal?.aborted) done = true
  else signal?.addEventListener('abort', close, { once: true })

  return {
    get done() {
      return done
    },
    get opened() {
      return opened
    },
    open() {
      if (done || opened) return false
      opened = true
      return true
    },
    finish,
    close,
    onRelease(cleanup) {
      if (done) cleanup()
      else cleanups.push(cleanup)
    },
    run(body, failure) {
      if (!done) body().catch((thrown: unknown) => finish(failure(thrown)))
    },
  }
}
