/**
 * Base58Check (Bitcoin's alphabet, a 4-byte double-SHA-256 checksum): the encoding of
 * automerge-repo document ids. Written out here because the usual packages bring a general
 * hash library along, several kilobytes for hashing 16 bytes; a test checks this against
 * the `bs58check` package.
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

export function encodeBase58Check(payload: Uint8Array): string {
  const checksum = sha256(sha256(payload)).subarray(0, 4)
  const bytes = new Uint8Array(payload.length + 4)
  bytes.set(payload)
  bytes.set(checksum, payload.length)
  return encodeBase58(bytes)
}

/** The payload, or `undefined` when `text` is not base58 or its checksum does not match. */
export function decodeBase58Check(text: string): Uint8Array | undefined {
  const bytes = decodeBase58(text)
  if (bytes === undefined || bytes.length < 4) return undefined
  const payload = bytes.subarray(0, bytes.length - 4)
  const checksum = sha256(sha256(payload))
  for (let index = 0; index < 4; index++) if (checksum[index] !== bytes[payload.length + index]) return undefined
  return payload.slice()
}

function encodeBase58(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  // Repeated division of the big-endian number by 58, one base-58 digit at a time.
  const digits: number[] = []
  for (let index = zeros; index < bytes.length; index++) {
    let carry = bytes[index]!
    for (let digit = 0; digit < digits.length; digit++) {
      carry += digits[digit]! << 8
      digits[digit] = carry % 58
      carry = (carry / 58) | 0
    }
    for (; carry > 0; carry = (carry / 58) | 0) digits.push(carry % 58)
  }
  let text = '1'.repeat(zeros)
  for (let digit = digits.length - 1; digit >= 0; digit--) text += ALPHABET[digits[digit]!]
  return text
}

function decodeBase58(text: string): Uint8Array | undefined {
  let zeros = 0
  while (zeros < text.length && text[zeros] === '1') zeros++
  const bytes: number[] = []
  for (let index = zeros; index < text.length; index++) {
    let carry = ALPHABET.indexOf(text[index]!)
    if (carry < 0) return undefined
    for (let byte = 0; byte < bytes.length; byte++) {
      carry += bytes[byte]! * 58
      bytes[byte] = carry & 0xff
      carry >>= 8
    }
    for (; carry > 0; carry >>= 8) bytes.push(carry & 0xff)
  }
  const result = new Uint8Array(zeros + bytes.length)
  for (let index = 0; index < bytes.length; index++) result[result.length - 1 - index] = bytes[index]!
  return result
}

/**
 * SHA-256's constants (FIPS 180-4 §4.2.2, §5.3.3): the first 32 fraction bits of the cube
 * roots of the first 64 primes, and of the square roots of the first 8 for the initial hash.
 * Computed on first use rather than written out: 72 words of hex are some 330 bytes of the
 * documents bundle that gzip cannot shrink. A test checks them against the published table.
 */
let constants: { readonly k: Uint32Array; readonly initial: Uint32Array } | undefined

export function sha256Constants(): { readonly k: Uint32Array; readonly initial: Uint32Array } {
  if (constants === undefined) {
    const primes: number[] = []
    for (let candidate = 2; primes.length < 64; candidate++) if (primes.every((prime) => candidate % prime !== 0)) primes.push(candidate)
    const fractionBits = (root: number): number => ((root - Math.floor(root)) * 2 ** 32) >>> 0
    constants = {
      k: Uint32Array.from(primes, (prime) => fractionBits(Math.cbrt(prime))),
      initial: Uint32Array.from(primes.slice(0, 8), (prime) => fractionBits(Math.sqrt(prime))),
    }
  }
  return constants
}

/** SHA-256 (FIPS 180-4) of a short message, synchronously: WebCrypto's digest is async only. */
function sha256(message: Uint8Array): Uint8Array {
  const length = Math.ceil((message.length + 9) / 64) * 64
  const padded = new Uint8Array(length)
  padded.set(message)
  padded[message.length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(length - 4, message.length * 8)
  const { k: K, initial } = sha256Constants()
  const hash = initial.slice()
  const w = new Uint32Array(64)
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))
  for (let block = 0; block < length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4)
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15]!, 7) ^ rotr(w[t - 15]!, 18) ^ (w[t - 15]! >>> 3)
      const s1 = rotr(w[t - 2]!, 17) ^ rotr(w[t - 2]!, 19) ^ (w[t - 2]! >>> 10)
      w[t] = w[t - 16]! + s0 + w[t - 7]! + s1
    }
    let [a, b, c, d, e, f, g, h] = hash as unknown as [number, number, number, number, number, number, number, number]
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    hash[0]! += a
    hash[1]! += b
    hash[2]! += c
    hash[3]! += d
    hash[4]! += e
    hash[5]! += f
    hash[6]! += g
    hash[7]! += h
  }
  const digest = new Uint8Array(32)
  const out = new DataView(digest.buffer)
  for (let index = 0; index < 8; index++) out.setUint32(index * 4, hash[index]!)
  return digest
}
