/**
 * AT Protocol TIDs ("timestamp identifiers"): 13 characters of sortable base32 holding the
 * microseconds since the epoch and a 10-bit clock id. Client (rkeys of new writes) and
 * server (records posted without an rkey) make them with this one module.
 */
const TID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz'
const TID_PATTERN = /^[2-7a-j][2-7a-z]{12}$/

let lastMicros = 0
let clockId: number | undefined

/**
 * A new TID, strictly greater than every TID made before by this module (also when two calls
 * share a microsecond or the clock steps back), so rkeys sort by creation time.
 */
export function newTid(nowMicros: number = Date.now() * 1000): string {
  lastMicros = Math.max(Math.floor(nowMicros), lastMicros + 1)
  // Chosen lazily: importing this module touches no global (server-side rendering).
  clockId ??= globalThis.crypto.getRandomValues(new Uint16Array(1))[0]! & 1023
  // Micros fit in 53 bits, so plain numbers are exact: 11 characters of them, 2 of clock id.
  return encode(lastMicros, 11) + encode(clockId, 2)
}

/** Whether `value` has the TID form (13 characters of the sortable base32 alphabet, top bit 0). */
export function isTid(value: string): boolean {
  return TID_PATTERN.test(value)
}

function encode(value: number, length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) {
    text = TID_ALPHABET[value % 32]! + text
    value = Math.floor(value / 32)
  }
  return text
}
