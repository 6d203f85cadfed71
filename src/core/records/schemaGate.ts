import type { StandardSchemaV1 } from '@standard-schema/spec'
import { errorMessage, SyncError } from '../errors.js'
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

type Checked<V> = WatchRecord<V> | SyncError

/**
 * Checks every record's value against the store's Standard Schema (zod, valibot, arktype, a
 * hand-written one) before the store sees it. A record that does not validate is left out
 * and reported as a `'protocol'` SyncError naming it; its value is replaced by the schema's
 * output (so transforms and defaults apply).
 *
 * A validator may answer asynchronously, so batches wait for each other: they reach the store
 * in the order they arrived, and `after` work (the end of a stream) waits for them too. Without
 * a schema, or while every answer is synchronous, everything passes at once.
 */
export class SchemaGate<V> {
  readonly #schema: StandardSchemaV1<unknown, V> | undefined
  /** The last queued step, while one is pending. */
  #queue: Promise<void> | null = null

  constructor(schema: StandardSchemaV1<unknown, V> | undefined) {
    this.#schema = schema
  }

  /** Hands `apply` the batch without the records that fail, after every earlier batch. */
  events(batch: readonly WatchEvent<V>[], report: (error: SyncError) => void, apply: (batch: readonly WatchEvent<V>[]) => void): void {
    if (this.#schema === undefined) return apply(batch)
    const work = (): readonly WatchEvent<V>[] | Promise<readonly WatchEvent<V>[]> => {
      const checked = batch.map((event) => (hasRecord(event) ? this.#check(event.data.record) : null))
      const finish = (results: readonly (Checked<V> | null)[]): WatchEvent<V>[] => {
        const passed: WatchEvent<V>[] = []
        batch.forEach((event, index) => {
          const result = results[index]
          if (result instanceof SyncError) report(result)
          else if (result && hasRecord(event)) passed.push({ kind: event.kind, data: { record: result } } as WatchEvent<V>)
          else passed.push(event)
        })
        return passed
      }
      return checked.some((result) => result instanceof Promise) ? Promise.all(checked).then(finish) : finish(checked as (Checked<V> | null)[])
    }
    this.#run(work, apply, report)
  }

  /** The records that pass, in order; the others go to `report`. */
  async records(records: readonly WatchRecord<V>[], report: (error: SyncError) => void): Promise<WatchRecord<V>[]> {
    if (this.#schema === undefined) return [...records]
    const results = await Promise.all(records.map((record) => this.#check(record)))
    const passed: WatchRecord<V>[] = []
    for (const result of results) {
      if (result instanceof SyncError) report(result)
      else passed.push(result)
    }
    return passed
  }

  /** Runs `fn` once every batch given before has been applied. */
  after(fn: () => void): void {
    if (this.#queue === null) fn()
    else this.#run(() => undefined, fn, () => {})
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
      .catch((error: unknown) => report(error instanceof SyncError ? error : new SyncError('protocol', errorMessage(error), { cause: error })))
      .finally(() => {
        if (this.#queue === step) this.#queue = null
      })
    this.#queue = step
  }

  #check(record: WatchRecord<V>): Checked<V> | Promise<Checked<V>> {
    const schema = this.#schema as StandardSchemaV1<unknown, V>
    let result: StandardSchemaV1.Result<V> | Promise<StandardSchemaV1.Result<V>>
    try {
      result = schema['~standard'].validate(record.value)
    } catch (error) {
      return invalid(record, errorMessage(error), error)
    }
    return result instanceof Promise
      ? result.then((settled) => outcome(record, settled), (error: unknown) => invalid(record, errorMessage(error), error))
      : outcome(record, result)
  }
}

function hasRecord<V>(event: WatchEvent<V>): event is Extract<WatchEvent<V>, { data: { record: WatchRecord<V> } }> {
  return event.kind === 'snapshot.record' || event.kind === 'record.created'
}

function outcome<V>(record: WatchRecord<V>, result: StandardSchemaV1.Result<V>): Checked<V> {
  if (result.issues) {
    const issues = result.issues.map((issue) => (issue.path?.length ? `${issue.path.map(pathKey).join('.')}: ${issue.message}` : issue.message))
    return invalid(record, issues.join('; '), result.issues)
  }
  return result.value === record.value ? record : { ...record, value: result.value }
}

function invalid(record: WatchRecord<unknown>, reason: string, cause: unknown): SyncError {
  return new SyncError('protocol', `Record ${record.uri || `${record.did}/${record.rkey}`} does not match the schema, so it is not shown: ${reason}`, { cause })
}

function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): string {
  return String(typeof segment === 'object' ? segment.key : segment)
}
