import { createHash, randomInt } from 'node:crypto'

const TID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz'
let lastTidMicros = 0
const clockId = randomInt(0, 1024)

/**
 * A new record key in the AT Protocol TID form: 13 base32-sortable characters of
 * microseconds since the epoch plus a 10-bit clock id, so keys sort by creation time.
 */
export function newTid(nowMicros = Date.now() * 1000): string {
  // Strictly increasing even when two writes share a microsecond.
  lastTidMicros = Math.max(nowMicros, lastTidMicros + 1)
  let value = (BigInt(lastTidMicros) << 10n) | BigInt(clockId)
  let tid = ''
  for (let i = 0; i < 13; i++) {
    tid = TID_ALPHABET[Number(value & 31n)]! + tid
    value >>= 5n
  }
  return tid
}

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
