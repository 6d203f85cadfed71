import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SyncError } from '../errors.js'
import type { SchemaGate } from './schemaGate.js'
import type { WatchEvent, WatchRecord } from './types.js'

/**
 * The store's way through its schema. A store without a schema passes everything at once and
 * never loads the checking code. A store with one loads the `SchemaGate` when it is made and,
 * until it is there, holds work in arrival order. If the code cannot load (a failed chunk
 * load, offline right after a deploy), work keeps waiting and the next piece tries the load
 * again: records are never shown unchecked.
 */
export class SchemaPipe<V> {
  readonly #schema: StandardSchemaV1<unknown, V> | undefined
  #gate: SchemaGate<V> | undefined
  /** Work waiting for the gate to load; undefined once it has (or without a schema). */
  #waiting: (() => void)[] | undefined
  #failed = false

  constructor(schema: StandardSchemaV1<unknown, V> | undefined) {
    this.#schema = schema
    if (schema) {
      this.#waiting = []
      this.#load()
    }
  }

  events(batch: readonly WatchEvent<V>[], report: (error: SyncError) => void, apply: (batch: readonly WatchEvent<V>[]) => void): void {
    this.run(() => (this.#gate ? this.#gate.events(batch, report, apply) : apply(batch)))
  }

  /** The records that pass (all of them without a schema); the others go to `report`. */
  records(records: readonly WatchRecord<V>[], report?: (error: SyncError) => void): Promise<readonly WatchRecord<V>[]> {
    return new Promise((resolve) => this.run(() => resolve(this.#gate ? this.#gate.records(records, report) : records)))
  }

  /** Runs `step` now, or in turn once the gate has loaded. */
  run(step: () => void): void {
    if (!this.#waiting) return step()
    this.#waiting.push(step)
    if (this.#failed) this.#load()
  }

  #load(): void {
    this.#failed = false
    import('./schemaGate.js').then(
      (module) => {
        this.#gate = new module.SchemaGate(this.#schema as StandardSchemaV1<unknown, V>)
        const waiting = this.#waiting ?? []
        this.#waiting = undefined
        for (const step of waiting) step()
      },
      () => {
        this.#failed = true
      },
    )
  }
}
