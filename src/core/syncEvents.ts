// Loaded by the first `client.onEvent`: turns the core's tap calls (eventTap.ts) into events.
import type { OutboxEntry } from './cache/types.js'
import type { EventTap, SyncConnectionKind, TapCall } from './eventTap.js'

export type { SyncConnectionKind } from './eventTap.js'
import type { MachineEvent, SyncStatus } from './machine.js'

/**
 * What `client.onEvent` reports. `connection` names a record store by its key
 * (`"sse <url>"`) and the document connection by its socket URL. `time` is `Date.now()`
 * when it happened.
 */
export type SyncEvent =
  /** The connection state machine moved. `retryInMs` is the backoff chosen on the way to `reconnecting`. */
  | {
      type: 'transition'
      time: number
      connection: string
      kind: SyncConnectionKind
      from: SyncStatus
      to: SyncStatus
      event: MachineEvent['type']
      error: { code: string; message: string } | null
      attempt: number
      retryInMs?: number
    }
  /** One frame: its watchRecords kind or automerge-repo message type, and its size in bytes. `body` only for listeners that asked. */
  | { type: 'frame'; time: number; connection: string; kind: SyncConnectionKind; direction: 'in' | 'out'; frame: string; bytes: number; body?: unknown }
  /** A store started (`open`) or was stopped (`close`). */
  | { type: 'store'; time: number; action: 'open' | 'close'; kind: SyncConnectionKind; key: string }
  /** A record store's outbox (may have) changed: every entry, with its tries and last error. */
  | { type: 'outbox'; time: number; connection: string; entries: readonly OutboxEntry[] }

export type SyncEventListener = (event: SyncEvent) => void

export interface SyncEventListenerOptions {
  /** Also pass frame bodies (they may hold user data). @default false */
  bodies?: boolean
}

/** The listeners of one client, kept beside its tap. */
const registries = new WeakMap<EventTap, Map<SyncEventListener, boolean>>()

/**
 * Adds `listener` to `tap`'s listeners, after delivering what happened while this module
 * loaded. Returns the unsubscribe function; once nobody listens, `tap.emit` is null again.
 */
export function listen(tap: EventTap, listener: SyncEventListener, options: SyncEventListenerOptions, listening: { on: boolean }): () => void {
  // Unsubscribed while this module loaded: nothing, not even the queue, reaches it.
  if (!listening.on) return () => {}
  let listeners = registries.get(tap)
  if (listeners === undefined) registries.set(tap, (listeners = new Map()))
  const all = listeners
  const bodies = options.bodies === true
  const replay = withBackoff((time, call, retryInMs) => deliver(listener, bodies, time, call, retryInMs))
  for (const [time, call] of tap.queued ?? []) replay.push(time, call)
  replay.flush()
  // Then every outbox as it is now: writes queued before anyone listened show too.
  for (const [connection, entries] of tap.outboxes ?? []) deliver(listener, bodies, Date.now(), ['outbox', { tap, connection, kind: 'records' }, entries()], undefined)
  // Every listener that waited for this module resolves in this same turn; then the queue goes.
  if (tap.queued !== undefined) queueMicrotask(() => (tap.queued = undefined))
  all.set(listener, bodies)
  const live = withBackoff((time, call, retryInMs) => {
    for (const [each, withBody] of [...all]) deliver(each, withBody, time, call, retryInMs)
  })
  tap.emit = (...call) => live.push(Date.now(), call)
  return () => {
    all.delete(listener)
    if (all.size === 0) tap.emit = null
  }
}

type Fold = (time: number, call: Exclude<TapCall, { 0: 'backoff' }>, retryInMs?: number) => void

/**
 * The driver reports the backoff it chose right after the transition to `reconnecting`:
 * that transition waits for it (or for the next call, or the end of the task) to carry it.
 */
function withBackoff(fold: Fold): { push(time: number, call: TapCall): void; flush(): void } {
  let held: { time: number; call: Extract<TapCall, { 0: 'transition' }> } | null = null
  const flush = (retryInMs?: number): void => {
    const pending = held
    held = null
    if (pending !== null) fold(pending.time, pending.call, retryInMs)
  }
  return {
    push(time, call) {
      if (call[0] === 'backoff') return flush(held?.call[1] === call[1] ? call[2] : undefined)
      flush()
      if (call[0] !== 'transition' || call[3].status !== 'reconnecting') return fold(time, call)
      held = { time, call }
      queueMicrotask(() => flush())
    },
    flush: () => flush(),
  }
}

function deliver(listener: SyncEventListener, bodies: boolean, time: number, call: Exclude<TapCall, { 0: 'backoff' }>, retryInMs: number | undefined): void {
  listener(toEvent(time, call, bodies, retryInMs))
  // A record store's start and stop are its open and close.
  if (call[0] === 'transition' && call[1].kind === 'records' && (call[4].type === 'start' || call[4].type === 'stop')) {
    listener({ type: 'store', time, action: call[4].type === 'start' ? 'open' : 'close', kind: 'records', key: call[1].connection })
  }
}

function toEvent(time: number, call: Exclude<TapCall, { 0: 'backoff' }>, bodies: boolean, retryInMs: number | undefined): SyncEvent {
  switch (call[0]) {
    case 'transition': {
      const [, { connection, kind }, from, to, event] = call
      const error = to.error && { code: to.error.code, message: to.error.message }
      return { type: 'transition', time, connection, kind, from: from.status, to: to.status, event: event.type, error, attempt: to.attempt, ...(retryInMs !== undefined && { retryInMs }) }
    }
    case 'frame': {
      const [, { connection, kind }, direction, frame, raw, body] = call
      return { type: 'frame', time, connection, kind, direction, frame, bytes: byteLength(raw), ...(bodies && { body }) }
    }
    case 'store':
      return { type: 'store', time, action: call[1], kind: call[2], key: call[3] }
    case 'outbox':
      return { type: 'outbox', time, connection: call[1].connection, entries: call[2] }
  }
}

function byteLength(raw: unknown): number {
  if (typeof raw === 'string') return new TextEncoder().encode(raw).length
  return raw instanceof ArrayBuffer || ArrayBuffer.isView(raw) ? raw.byteLength : 0
}
