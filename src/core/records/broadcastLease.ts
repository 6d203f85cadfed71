import type { Environment } from '../environment.js'

/**
 * The send lock for browsers without Web Locks: a lease negotiated over a BroadcastChannel,
 * one channel per waiting or holding caller (a channel never hears its own messages, so two
 * callers in one tab take part exactly as two tabs do).
 *
 * The protocol. Every message carries its sender's random id.
 * - `claim`: a contender asks for the lock. It wins when, for CLAIM_WINDOW_MS, nobody answers
 *   `held` and no contender with a lower id claims too; a contender that hears a higher id
 *   claim during its own window claims again, so the other hears it. A caller that has just
 *   heard someone else claim waits for that claim to settle before claiming itself.
 * - `held`: the holder says so at once when it wins, answers every claim, and renews its
 *   lease every `leaseMs / 3`.
 * - `released`: the holder is done; the waiters claim again at once.
 * A holder that stops renewing (its tab was closed, crashed or navigated away) loses the
 * lease `leaseMs` after its last `held`, so it never blocks the others for longer than that.
 *
 * What it guarantees: while messages arrive within the claim window and the holder's timers
 * fire well within the lease, one caller holds the lock at a time, and a vanished holder
 * blocks no one for more than `leaseMs`.
 * What it does not: exclusion rests on timing, not on the browser. A holder whose timers are
 * late by more than the lease (a frozen or heavily throttled background tab, a debugger
 * pause, a long blocked event loop) is taken over while its `send` still runs, and two sends
 * then overlap; a holder that hears another holder does nothing about it. Callers must make
 * sending twice harmless (the outbox does: a write's rkey is fixed before its first try). It
 * is not fair either: among callers that claim together the lowest id wins, every time.
 */
export const CLAIM_WINDOW_MS = 100

export type LeaseTimers = Pick<Environment, 'setTimeout' | 'clearTimeout' | 'random'>

export interface LeaseOptions {
  ifAvailable?: boolean
  signal?: AbortSignal
  leaseMs: number
  timers: LeaseTimers
}

type LeaseMessage = { kind: 'claim' | 'held' | 'released'; id: number }

/** Anything else on the channel (another library, a newer version) is ignored. */
function readMessage(data: unknown): LeaseMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { kind, id } = data as Record<string, unknown>
  return (kind === 'claim' || kind === 'held' || kind === 'released') && typeof id === 'number' ? { kind, id } : undefined
}

/** Runs `send` once this caller holds the lease on `channel`, and closes the channel after. */
export async function runWithLease(channel: BroadcastChannel, send: () => Promise<void>, options: LeaseOptions): Promise<boolean> {
  const { leaseMs, timers, signal } = options
  const id = timers.random()
  let holding = false
  let claiming = false
  let beaten = false
  let rivalHolds = false
  let rivalClaims = false
  let wake = (): void => {}
  const pending = new Map<string, unknown>()
  const after = (key: string, ms: number, then: () => void): void => {
    if (pending.has(key)) timers.clearTimeout(pending.get(key))
    pending.set(key, timers.setTimeout(() => (pending.delete(key), then()), ms))
  }
  const post = (kind: LeaseMessage['kind']): void => channel.postMessage({ kind, id } satisfies LeaseMessage)

  channel.onmessage = (event: MessageEvent) => {
    const message = readMessage(event.data)
    if (message === undefined || message.id === id) return
    if (message.kind === 'claim') {
      if (holding) return post('held')
      // A channel hears only what is posted after it opens, so a later claimer may not have
      // heard this one's claim: a lower id says it again, within the other's window.
      if (claiming && message.id < id) beaten = true
      else if (claiming) post('claim')
      rivalClaims = true
      // Twice the window: the rival's `held` (if it wins) arrives before this caller claims.
      after('rivalClaims', 2 * CLAIM_WINDOW_MS, () => ((rivalClaims = false), wake()))
    } else if (message.kind === 'held') {
      if (holding) return
      if (claiming) beaten = true
      rivalHolds = true
      after('rivalHolds', leaseMs, () => ((rivalHolds = false), wake()))
    } else {
      rivalHolds = false
      wake()
    }
  }
  const onAbort = (): void => wake()
  signal?.addEventListener('abort', onAbort)
  /** Until `wake` (a rival gone, or abort); with `ms`, for that long and only abort cuts it short. */
  const pause = (ms?: number): Promise<void> =>
    new Promise((resolve) => {
      wake = ms === undefined ? resolve : () => void (signal?.aborted && resolve())
      if (ms !== undefined) after('pause', ms, resolve)
    })

  try {
    for (;;) {
      if (signal?.aborted) return false
      if (rivalHolds || rivalClaims) {
        if (options.ifAvailable) return false
        await pause()
        continue
      }
      claiming = true
      beaten = false
      post('claim')
      await pause(CLAIM_WINDOW_MS)
      claiming = false
      if (signal?.aborted) return false
      if (!beaten && !rivalHolds) break
      if (options.ifAvailable) return false
    }
    holding = true
    post('held')
    const renew = (): void => after('renew', leaseMs / 3, () => (post('held'), renew()))
    renew()
    await send()
    return true
  } finally {
    if (holding) post('released')
    for (const handle of pending.values()) timers.clearTimeout(handle)
    signal?.removeEventListener('abort', onAbort)
    channel.close()
  }
}
