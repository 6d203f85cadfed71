import { SyncError } from '../errors.js'
import type { LeaseTimers } from './broadcastLease.js'
import { runWithLease } from './broadcastLease.js'
import { globalTimers } from '../silenceWatch.js'

/**
 * Who sends the outbox when several tabs share one: each tab's store asks for the lock before
 * sending, so one tab sends a given entry while every tab shows it pending.
 *
 * Three ways, best first, picked per call:
 * 1. Web Locks (`navigator.locks`): exclusion kept by the browser, released when a tab closes.
 * 2. Without Web Locks, a lease over BroadcastChannel (`broadcastLease.ts`): released by expiry
 *    when a tab closes, and best effort only (its header says what it does not guarantee).
 * 3. Without either, and whenever the lock machinery itself fails (an opaque origin's
 *    SecurityError, say), an in-process mutex per name: one tab, or one Node process.
 * A failure of the machinery never reaches the caller; only `send`'s own error does.
 */

export interface SendLockOptions {
  /** Resolve `false` without waiting when the lock is taken. @default false */
  ifAvailable?: boolean
  /** Stops waiting for the lock (resolves `false`); a `send` already running is not interrupted. */
  signal?: AbortSignal
}

/**
 * Runs `send` while this context holds the named lock across every tab of the origin; a second
 * caller (same tab or another) waits until the first finishes, or (with `ifAvailable`) resolves
 * `false` at once. Resolves `true` after `send` ran, `false` when it did not run; rejects only
 * with `send`'s own error, after releasing the lock.
 */
export type SendLock = (name: string, send: () => Promise<void>, options?: SendLockOptions) => Promise<boolean>

export interface SendLockEnvironment {
  /** `null` skips Web Locks. @default globalThis.navigator?.locks */
  locks?: LockManager | null
  /** `null` skips the BroadcastChannel lease (the in-process mutex is left). @default globalThis.BroadcastChannel */
  BroadcastChannel?: typeof BroadcastChannel | null
  /** Timers and ids for the BroadcastChannel lease. @default defaultEnvironment */
  timers?: LeaseTimers
  /** How long a lease holder that stops renewing (a closed tab) blocks the others. @default 5000 */
  leaseMs?: number
}

export const DEFAULT_LEASE_MS = 5000

/** The global timers, looked up at call time; Math.random spreads the lease retries. */
const leaseTimers: LeaseTimers = { ...globalTimers, random: () => Math.random() }

export function createSendLock(env: SendLockEnvironment = {}): SendLock {
  const { timers = leaseTimers, leaseMs = DEFAULT_LEASE_MS } = env
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new SyncError('bad-input', `leaseMs must be a positive number of milliseconds, not ${leaseMs}`)
  return async (name, send, options = {}) => {
    // Prefixed: Web Locks refuse names starting with '-', and the prefix keeps apps' own locks apart.
    const key = `syncline:${name}`
    // Looked up per call, as defaultEnvironment does, so server-side rendering can import this.
    const locks = env.locks === undefined ? globalThis.navigator?.locks : env.locks
    if (locks) return runWithWebLocks(locks, key, send, options)
    const Channel = env.BroadcastChannel === undefined ? globalThis.BroadcastChannel : env.BroadcastChannel
    if (typeof Channel !== 'function') return runLocally(key, send, options)
    let channel: BroadcastChannel
    try {
      channel = new Channel(key)
    } catch {
      return runLocally(key, send, options)
    }
    return runWithLease(channel, send, { ...options, leaseMs, timers })
  }
}

async function runWithWebLocks(locks: LockManager, key: string, send: () => Promise<void>, options: SendLockOptions): Promise<boolean> {
  const { ifAvailable = false, signal } = options
  if (signal?.aborted) return false
  // The callback never rejects, so a rejected request is the machinery's (or the abort's).
  let ran = false
  let sendFailed: { error: unknown } | undefined
  const whileHeld = async (lock: Lock | null): Promise<void> => {
    if (lock === null) return
    ran = true
    try {
      await send()
    } catch (error) {
      sendFailed = { error }
    }
  }
  try {
    // Web Locks refuse `signal` together with `ifAvailable`, and a lock that is not waited for needs none.
    await locks.request(key, ifAvailable ? { ifAvailable } : signal ? { signal } : {}, whileHeld)
  } catch {
    if (!ran) return signal?.aborted ? false : runLocally(key, send, options)
  }
  if (sendFailed) throw sendFailed.error
  return ran
}

/** The tail of each name's in-process queue, shared by every lock in this JavaScript realm. */
const localQueues = new Map<string, Promise<void>>()

async function runLocally(key: string, send: () => Promise<void>, options: SendLockOptions): Promise<boolean> {
  const { ifAvailable = false, signal } = options
  const previous = localQueues.get(key)
  if (signal?.aborted || (previous !== undefined && ifAvailable)) return false
  let finish = (): void => {}
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const tail = (previous ?? Promise.resolve()).then(() => finished)
  localQueues.set(key, tail)
  try {
    if (previous !== undefined && !(await settlesBeforeAbort(previous, signal))) return false
    await send()
    return true
  } finally {
    finish()
    if (localQueues.get(key) === tail) localQueues.delete(key)
  }
}

/** True when `promise` (which never rejects) settles first, false when `signal` aborts first. */
function settlesBeforeAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal === undefined) return promise.then(() => true)
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false)
    signal.addEventListener('abort', onAbort, { once: true })
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    })
  })
}
