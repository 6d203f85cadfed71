// Types only: what the core's emit sites call. The code that turns these calls into
// `SyncEvent`s (syncEvents.ts) loads with the first `client.onEvent`, so an app that never
// listens ships none of it, and each emit site is one optional call (`tap.emit?.(…)`) that
// evaluates nothing while `emit` is null.
import type { OutboxEntry } from './cache/types.js'
import type { MachineEvent, MachineState } from './machine.js'

/** Which half of the client a connection or store belongs to. */
export type SyncConnectionKind = 'records' | 'documents'

/** One connection's place in the event stream: a record store's key, or the document socket's URL. */
export interface TapPoint {
  readonly tap: EventTap
  readonly connection: string
  readonly kind: SyncConnectionKind
}

/** A frame as it went over the wire (text or bytes), and what it decoded to. */
export type TapCall =
  | [type: 'transition', point: TapPoint, from: MachineState, to: MachineState, event: MachineEvent]
  /** Right after a transition to `reconnecting`: the wait chosen before the next attempt. */
  | [type: 'backoff', point: TapPoint, retryInMs: number]
  | [type: 'frame', point: TapPoint, direction: 'in' | 'out', frame: string, raw: unknown, body: unknown]
  | [type: 'store', action: 'open' | 'close', kind: SyncConnectionKind, key: string]
  | [type: 'outbox', point: TapPoint, entries: readonly OutboxEntry[]]

/** A tap call stamped with its time, queued while the event code is loading. */
export type StampedCall = readonly [time: number, call: TapCall]

/** Shared by a client and everything it makes; `emit` is null while nobody listens. */
export interface EventTap {
  emit: ((...call: TapCall) => void) | null
  /** What happened while syncEvents.ts was loading for the first listeners. */
  queued?: StampedCall[] | undefined
  /**
   * Each loaded record write side's outbox as it is now, by connection (set by the lazily
   * loaded recordWrites.ts): a new listener hears these first, so it sees writes queued
   * before it listened, with their tries and last error, not only later changes. A store
   * made again under the same key replaces its entry, so this holds one per key.
   */
  outboxes?: Map<string, () => readonly OutboxEntry[]>
}
