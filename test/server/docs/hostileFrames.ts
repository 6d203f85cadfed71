import { Encoder } from 'cbor-x'

/** Frames a hostile peer builds by hand: deep, cyclic and tagged CBOR around a normal message. */
const encoder = new Encoder({ tagUint8Array: false, useRecords: false })

/** `depth` nested one-item arrays around a null, as raw CBOR. */
export function deepArray(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x81)
  bytes[depth] = 0xf6
  return bytes
}

/** A map that contains itself: tag 28 marks it shareable, tag 29 refers back to it. */
export const CYCLIC_MAP = Uint8Array.from([0xd8, 0x1c, 0xa1, 0x64, ...new TextEncoder().encode('self'), 0xd8, 0x1d, 0x00])

/** A date (tag 1), a tag no protocol "1" peer sends. */
export const TAGGED_DATE = Uint8Array.from([0xc1, 0x1a, 0x65, 0x00, 0x00, 0x00])

/**
 * The message's fields encoded as stock clients do, plus one more field `extra` whose value
 * is the given raw CBOR. cbor-x (useRecords: false) writes maps with a 16-bit count, so the
 * extra entry is one more in that count.
 */
export function withRawField(fields: Record<string, unknown>, rawValue: Uint8Array): Uint8Array {
  const head = new Uint8Array(encoder.encode(fields))
  if (head[0] !== 0xb9) throw new Error('expected cbor-x to write a map with a 16-bit count')
  const count = ((head[1]! << 8) | head[2]!) + 1
  head[1] = count >> 8
  head[2] = count & 0xff
  const key = new Uint8Array(encoder.encode('extra'))
  const frame = new Uint8Array(head.length + key.length + rawValue.length)
  frame.set(head)
  frame.set(key, head.length)
  frame.set(rawValue, head.length + key.length)
  return frame
}
