import { createHash } from 'node:crypto'

export { newTid } from '../../wire/tid.js'

/**
 * A content hash of a record's value. The reference server is not an AT Protocol repo, so
 * this is not an IPLD CID; it only has to change when the content changes.
 */
export function contentId(value: unknown): string {
  return `sha256-${createHash('sha256').update(stableJson(value)).digest('base64url')}`
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

export { compareNewestFirst } from '../../wire/watchRecords.js'
