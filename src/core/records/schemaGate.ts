import type { StandardSchemaV1 } from '@standard-schema/spec'
import { toSyncError } from '../errors.js'
import type { SyncError } from '../errors.js'
import type { SchemaChecker } from './schemaCheck.js'
import { schemaChecker } from './schemaCheck.js'
import type { WatchEvent, WatchRecord } from './types.js'

/**
 * Checks every record's value against the store's Standard Schema (zod, valibot, arktype, a
 * hand-written one) before the store sees it. A record that does not validate is left out
 * and reported as a `'protocol'` SyncError naming it; its value is replaced by the schema's
 * output (so transforms and defaults apply).
 *
 * A validator may answer asynchronously, so batches wait for each other: they reach the store
 * in the order they arrived (an empty batch, such as the store's end-of-stream step, waits
 * too). While every answer is synchronous, a batch passes at once. Loaded on first use by
 * `SchemaPipe`.
 */
export class SchemaGate<V> {
  readonly #checker: SchemaChecker<V>
  /** The last queued step, while one is pending. */
  #queue: Promise<void> | null = null

  constructor(schema: StandardSchemaV1<unknown, V>) {
    this.#checker = schemaChecker(schema)
  }

  /** Hands `apply` the batch without the records that fail, after every earlier batch. */
  events(batch: readonly WatchEvent<V>[], report: (error: SyncError) => void, apply: (batch: readonly WatchEvent<V>[]) => void): void {
    this.#run(() => this.#checker.events(batch, report), apply, report)
  }

  /** The records that pass, in order; the others go to `report`. */
  records(records: readonly WatchRecord<V>[], report?: (error: SyncError) => void): Promise<WatchRecord<V>[]> {
    return this.#checker.records(records, report)
  }

  /** Runs at once while nothing is queued and the work is synchronous; otherwise in turn. */
  #run<T>(work: () => T | Promise<T>, apply: (value: T) => void, report: (error: SyncError) => void): void {
    if (this.#queue === null) {
      const value = work()
      if (!(value instanceof Promise)) return apply(value)
      return this.#enqueue(value, apply, report)
    }
    this.#enqueue(this.#queue.then(work), apply, report)
  }

  #enqueue<T>(value: Promise<T>, apply: (value: T) => void, report: (error: SyncError) => void): void {
    const step: Promise<void> = value
      .then(apply)
      .catch((error: unknown) => report(toSyncError(error, 'protocol')))
      .finally(() => {
        if (this.#queue === step) this.#queue = null
      })
    this.#queue = step
  }
}
