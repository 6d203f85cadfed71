/**
 * Every kind of I/O the core touches besides the network, behind one replaceable object so
 * tests can drive time and connectivity deterministically (fake timers, fake online events).
 */
export interface Environment {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  /**
   * Milliseconds on any clock that moves with `setTimeout` (Date.now, or a fake clock). Optional:
   * with it, silence deadlines are pushed back by a timestamp per chunk instead of a
   * clearTimeout + setTimeout per chunk; without it they re-arm every time, as before.
   */
  now?(): number
  random(): number
  /** Calls `callback` when the device comes back online; returns an unsubscribe function. */
  onOnline(callback: () => void): () => void
  /** Calls `callback` when the page becomes visible again; returns an unsubscribe function. */
  onVisible(callback: () => void): () => void
  /**
   * Calls `callback` when the device goes offline; returns an unsubscribe function. Optional,
   * so environments written before it existed still work (they just never report it).
   */
  onOffline?(callback: () => void): () => void
}

const noop = (): void => {}

/**
 * Looks globals up at call time, not import time, so importing syncline stays safe during
 * server-side rendering and fake timers installed after import still apply.
 */
export const defaultEnvironment: Environment = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  // Date.now, not performance.now: fake timers move Date but not performance by default.
  now: () => Date.now(),
  random: () => Math.random(),
  onOnline(callback) {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return noop
    window.addEventListener('online', callback)
    return () => window.removeEventListener('online', callback)
  },
  onOffline(callback) {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return noop
    window.addEventListener('offline', callback)
    return () => window.removeEventListener('offline', callback)
  },
  onVisible(callback) {
    if (typeof document === 'undefined' || typeof document.addEventListener !== 'function') return noop
    const listener = (): void => {
      if (document.visibilityState === 'visible') callback()
    }
    document.addEventListener('visibilitychange', listener)
    return () => document.removeEventListener('visibilitychange', listener)
  },
}
