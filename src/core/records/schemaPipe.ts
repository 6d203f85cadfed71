import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SyncError } from '../errors.js'
import { toSyncError } from '../errors.js'
import type { SchemaGate } from './schemaGate.js'
import type { WatchEvent, WatchRecord } from './types.js'

const schemaIds = new WeakMap<object, number>()
let lastSchemaId = 0

/** Tells schemas apart in a store key: '' without one, else ' #<n>' for each schema object. */
export function schemaKey(schema: StandardSchemaV1<unknown, unknown> | undefined): string {
  if (schema === undefined) return ''
  let id = schemaIds.get(schema)
  if (id === undefined) schemaIds.set(schema, (id = ++lastSchemaId))
  return ` #${id}`
}

/**
 * The store's way through its schema. A store without a schema passes everything at once and
 * never loads the checking code; a store with one loads the `SchemaGate` (started when the
 * store is made) and, until it is there, queues work in arrival order behind the load.
 */
export class SchemaPipe<V> {
  readonly #schema: StandardSchemaV1<unknown, V> | undefined
  #gate: SchemaGate<V> | undefined
  /** The load, then each step queued behind it; undefined once they have all run. */
  #tail: Promise<void> | undefined

  constructor(schema: StandardSchemaV1<unknown, V> | undefined) {
    this.#schema = schema
    // Started now, so the code is usually there before the first record is.
    if (schema) this.#tail = this.#load().catch(() => {})
  }

  events(batch: readonly WatchEvent<V>[], report: (error: SyncError) => void, apply: (batch: readonly WatchEvent<V>[]) => void): void {
    this.#run(report, (gate) => (gate ? gate.events(batch, report, apply) : apply(batch)))
  }

  /** Runs `fn` after every batch given before. */
  after(fn: () => void): void {
    this.#run(() => {}, (gate) => (gate ? gate.after(fn) : fn()))
  }

  records(records: readonly WatchRecord<V>[], report: (error: SyncError) => void): Promise<WatchRecord<V>[]> {
    return new Promise((resolve, reject) => this.#run(reject, (gate) => resolve(gate ? gate.records(records, report) : [...records])))
  }

  #load(): Promise<void> {
    const schema = this.#schema as StandardSchemaV1<unknown, V>
    return import('./schemaGate.js').then((module) => void (this.#gate = new module.SchemaGate(schema)))
  }

  /**
   * `step` gets the gate (undefined without a schema). If the gate's code cannot load (a failed
   * chunk load, offline right after a deploy), the step is dropped and reported as `'network'`,
   * and the next step tries the load again: records are never shown unchecked.
   */
  #run(report: (error: SyncError) => void, step: (gate: SchemaGate<V> | undefined) => void): void {
    if (this.#tail === undefined && (this.#gate || !this.#schema)) return step(this.#gate)
    const next: Promise<void> = (this.#tail ?? Promise.resolve())
      .then(() => this.#gate ?? this.#load().then(() => this.#gate))
      .then(step)
      .catch((error: unknown) => report(toSyncError(error, 'network')))
      .finally(() => {
        if (this.#tail === next) this.#tail = undefined
      })
    this.#tail = next
  }
}
