import type { StandardSchemaV1 } from '@standard-schema/spec'
import { errorMessage, SyncError } from '../errors.js'
import type { WatchEvent, WatchRecord } from './types.js'

type Checked<V> = WatchRecord<V> | SyncError

/** What `SchemaGate` asks of the validating code, which loads only for stores with a schema. */
export interface SchemaChecker<V> {
  /** The batch without the records that fail (reported), with each value replaced by the schema's output. */
  events(batch: readonly WatchEvent<V>[], report: (error: SyncError) => void): readonly WatchEvent<V>[] | Promise<readonly WatchEvent<V>[]>
  records(records: readonly WatchRecord<V>[], report?: (error: SyncError) => void): Promise<WatchRecord<V>[]>
}

/** Synchronous answers stay synchronous, so a store with a sync validator applies a batch at once. */
export function schemaChecker<V>(schema: StandardSchemaV1<unknown, V>): SchemaChecker<V> {
  const check = (record: WatchRecord<V>): Checked<V> | Promise<Checked<V>> => {
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
  return {
    events(batch, report) {
      const checked = batch.map((event) => (hasRecord(event) ? check(event.data.record) : null))
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
    },
    async records(records, report) {
      const passed: WatchRecord<V>[] = []
      for (const result of await Promise.all(records.map(check))) {
        if (result instanceof SyncError) report?.(result)
        else passed.push(result)
      }
      return passed
    },
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
