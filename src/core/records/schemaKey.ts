import type { StandardSchemaV1 } from '@standard-schema/spec'

const schemaIds = new WeakMap<object, number>()
let lastSchemaId = 0

/** Tells schemas apart in a store key: '' without one, else ' #<n>' for each schema object. */
export function schemaKey(schema: StandardSchemaV1<unknown, unknown> | undefined): string {
  if (schema === undefined) return ''
  let id = schemaIds.get(schema)
  if (id === undefined) schemaIds.set(schema, (id = ++lastSchemaId))
  return ` #${id}`
}
