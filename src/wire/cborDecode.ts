/** CBOR decoding; see cbor.ts. A module of its own: only code that reads frames needs it. */

const textEncoder = /* @__PURE__ */ new TextEncoder()
const textDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

const BREAK = Symbol('break')

/** @throws Error for malformed or truncated CBOR, or bytes left over after the value. */
export function decodeCbor(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes)
  const value = reader.value()
  if (value === BREAK) throw new Error('CBOR: unexpected break')
  if (!reader.done) throw new Error('CBOR: bytes left after the value')
  return value
}

class Reader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #offset = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.#offset === this.#bytes.length
  }

  value(): unknown {
    const initial = this.#byte()
    const major = initial >> 5
    const info = initial & 0x1f
    if (major === 7) return this.#simple(info)
    if (info === 31) return this.#indefinite(major)
    const argument = this.#argument(info)
    switch (major) {
      case 0:
        return argument
      case 1:
        return typeof argument === 'bigint' ? -1n - argument : -1 - argument
      case 2:
        return this.#take(this.#length(argument)).slice()
      case 3:
        return textDecoder.decode(this.#take(this.#length(argument)))
      case 4:
        return Array.from({ length: this.#length(argument) }, () => this.#item())
      case 5: {
        const object: Record<string, unknown> = {}
        for (let index = this.#length(argument); index > 0; index--) this.#entry(object)
        return object
      }
      default: {
        // A tag: the tagged value is what this protocol cares about (tag 64, which cbor-x
        // puts on Uint8Arrays unless told not to, wraps the byte string itself).
        return this.#item()
      }
    }
  }

  #item(): unknown {
    const value = this.value()
    if (value === BREAK) throw new Error('CBOR: unexpected break')
    return value
  }

  #entry(object: Record<string, unknown>): void {
    const key = this.#item()
    setEntry(object, typeof key === 'string' ? key : String(key), this.#item())
  }

  #indefinite(major: number): unknown {
    if (major === 2 || major === 3) {
      const chunks: Uint8Array[] = []
      for (let chunk = this.value(); chunk !== BREAK; chunk = this.value()) {
        if (major === 2 ? !(chunk instanceof Uint8Array) : typeof chunk !== 'string') throw new Error('CBOR: bad chunk in an indefinite string')
        chunks.push(major === 2 ? (chunk as Uint8Array) : textEncoder.encode(chunk as string))
      }
      const joined = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
      let offset = 0
      for (const chunk of chunks) {
        joined.set(chunk, offset)
        offset += chunk.length
      }
      return major === 2 ? joined : textDecoder.decode(joined)
    }
    if (major === 4) {
      const items: unknown[] = []
      for (let item = this.value(); item !== BREAK; item = this.value()) items.push(item)
      return items
    }
    if (major === 5) {
      const object: Record<string, unknown> = {}
      for (let key = this.value(); key !== BREAK; key = this.value()) setEntry(object, typeof key === 'string' ? key : String(key), this.#item())
      return object
    }
    throw new Error('CBOR: indefinite length on a type that has none')
  }

  #simple(info: number): unknown {
    switch (info) {
      case 20:
        return false
      case 21:
        return true
      case 22:
        return null
      case 23:
        return undefined
      case 25:
        return halfToNumber(this.#read(2, () => this.#view.getUint16(this.#offset)))
      case 26:
        return this.#read(4, () => this.#view.getFloat32(this.#offset))
      case 27:
        return this.#read(8, () => this.#view.getFloat64(this.#offset))
      case 31:
        return BREAK
      default:
        if (info < 20) return undefined
        if (info === 24) return (this.#byte(), undefined)
        throw new Error(`CBOR: reserved simple value ${info}`)
    }
  }

  #argument(info: number): number | bigint {
    if (info < 24) return info
    if (info === 24) return this.#byte()
    if (info === 25) return this.#read(2, () => this.#view.getUint16(this.#offset))
    if (info === 26) return this.#read(4, () => this.#view.getUint32(this.#offset))
    if (info === 27) {
      const big = this.#read(8, () => this.#view.getBigUint64(this.#offset))
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
    }
    throw new Error(`CBOR: reserved additional information ${info}`)
  }

  #length(argument: number | bigint): number {
    // A length no message could have is a corrupt or hostile frame, not a huge allocation.
    if (typeof argument === 'bigint' || argument > this.#bytes.length - this.#offset) {
      throw new Error('CBOR: length runs past the end of the frame')
    }
    return argument
  }

  #read<T>(size: number, read: () => T): T {
    if (this.#offset + size > this.#bytes.length) throw new Error('CBOR: truncated')
    const value = read()
    this.#offset += size
    return value
  }

  /** One byte, without the subarray `#take(1)` would allocate (read once per item). */
  #byte(): number {
    if (this.#offset >= this.#bytes.length) throw new Error('CBOR: truncated')
    return this.#bytes[this.#offset++]!
  }

  #take(size: number): Uint8Array {
    if (this.#offset + size > this.#bytes.length) throw new Error('CBOR: truncated')
    const slice = this.#bytes.subarray(this.#offset, this.#offset + size)
    this.#offset += size
    return slice
  }
}

/**
 * A plain assignment of `__proto__` would swap the object's prototype (a peer could then
 * make a message look like it has fields it does not have); define it as an own field.
 */
function setEntry(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  else object[key] = value
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f
  const fraction = half & 0x3ff
  const sign = half & 0x8000 ? -1 : 1
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN
  return sign * (1024 + fraction) * 2 ** (exponent - 25)
}
