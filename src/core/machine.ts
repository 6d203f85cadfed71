import type { SyncError } from './errors.js'
import { isAuthError } from './errors.js'

/** The one connection lifecycle shared by record stores and document connections. */
export type SyncStatus = 'idle' | 'connecting' | 'snapshot' | 'live' | 'reconnecting' | 'closed'

export interface BackoffOptions {
  /** First retry waits up to this long. @default 1000 */
  initialDelayMs?: number
  /** No retry waits longer than this. @default 30000 */
  maxDelayMs?: number
}

export interface MachineState {
  readonly status: SyncStatus
  readonly error: SyncError | null
  /** Failed attempts since the last time `live` was reached; drives the backoff. */
  readonly attempt: number
}

export type MachineEvent =
  | { type: 'start' }
  /** The transport is connected and the server has started catching us up. */
  | { type: 'opened' }
  /** The catch-up is complete. */
  | { type: 'caughtUp' }
  /** The transport ended. `retry: false` ends in `closed` (reconnect disabled, access revoked). */
  | { type: 'lost'; error: SyncError | null; retry: boolean }
  /** The backoff timer fired, or the network came back. */
  | { type: 'retry' }
  | { type: 'stop' }
  /** A non-fatal problem (e.g. a skipped malformed frame) to surface without changing status. */
  | { type: 'problem'; error: SyncError }

export const initialMachineState: MachineState = { status: 'idle', error: null, attempt: 0 }

/**
 * The whole state machine in one pure function. Events that make no sense in the current
 * state return the same object, so callers can use identity to skip notifications.
 */
export function transition(state: MachineState, event: MachineEvent): MachineState {
  switch (event.type) {
    case 'start':
      // start() after stop() starts again; start() while running is a no-op.
      if (state.status === 'idle' || state.status === 'closed') {
        return { status: 'connecting', error: null, attempt: 0 }
      }
      return state
    case 'opened':
      if (state.status !== 'connecting') return state
      return { ...state, status: 'snapshot' }
    case 'caughtUp':
      if (state.status !== 'snapshot') return state
      // Reaching live proves the connection works, so the backoff starts over.
      return { status: 'live', error: null, attempt: 0 }
    case 'lost': {
      if (state.status === 'idle' || state.status === 'closed' || state.status === 'reconnecting') {
        return state
      }
      // Auth failures park the machine: retrying the same credentials would only loop.
      if (!event.retry || isAuthError(event.error)) {
        return { status: 'closed', error: event.error, attempt: state.attempt }
      }
      return { status: 'reconnecting', error: event.error, attempt: state.attempt + 1 }
    }
    case 'retry':
      if (state.status !== 'reconnecting') return state
      return { ...state, status: 'connecting' }
    case 'stop':
      if (state.status === 'idle' || state.status === 'closed') {
        return state.status === 'closed' ? state : { ...state, status: 'closed' }
      }
      return { status: 'closed', error: null, attempt: 0 }
    case 'problem':
      if (state.status === 'idle' || state.status === 'closed') return state
      return { ...state, error: event.error }
  }
}

/** Full-jitter exponential backoff: random(0, min(max, initial · 2^(attempt-1))). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? 1000
  const max = options.maxDelayMs ?? 30_000
  // attempt counts failures, so the first retry (attempt 1) uses the initial delay as its ceiling.
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random() * ceiling)
}
