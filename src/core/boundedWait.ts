import { SyncError } from './errors.js'

/** Bounds for a wait such as `whenSaved`: give up after a time, or when a signal aborts. */
export interface WaitOptions {
  /** Rejects with the signal's reason (a `SyncError` with code `'aborted'` when it has none). */
  signal?: AbortSignal
  /** Rejects with a `SyncError` with code `'timeout'` after this many milliseconds. */
  timeoutMs?: number
}

/**
 * Runs `start(resolve, reject)`, which registers a waiter and returns how to unregister it,
 * and settles with it unless the timeout or the signal comes first. Either way the waiter is
 * unregistered, so an abandoned wait holds nothing.
 */
export function boundedWait(start: (resolve: () => void, reject: (error: unknown) => void) => () => void, options: WaitOptions, what: string): Promise<void> {
  const { signal, timeoutMs } = options
  if (signal?.aborted) return Promise.reject(abortReason(signal, what))
  if (signal === undefined && timeoutMs === undefined) return new Promise((resolve, reject) => void start(resolve, reject))
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (settle: () => void): void => {
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      unregister()
      settle()
    }
    const onAbort = (): void => finish(() => reject(abortReason(signal!, what)))
    const unregister = start(
      () => finish(resolve),
      (error) => finish(() => reject(error)),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(() => reject(new SyncError('timeout', `${what} did not happen within ${timeoutMs} ms`))), timeoutMs)
    }
  })
}

function abortReason(signal: AbortSignal, what: string): unknown {
  // AbortController.abort() without an argument gives a DOMException 'AbortError'.
  const reason: unknown = signal.reason
  if (reason !== undefined && !(reason instanceof Error && reason.name === 'AbortError')) return reason
  return new SyncError('aborted', `${what} was aborted`, { cause: reason })
}
