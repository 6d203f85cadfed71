/**
 * The CBOR the automerge-repo protocol needs, in a few hundred bytes instead of a general
 * library's thirty thousand. Encoding produces the same bytes as automerge-repo's own
 * cbor-x setup (`new Encoder({ tagUint8Array: false, useRecords: false })`, DESIGN §7) for
 * what can travel: objects (a map with a 16-bit count, as cbor-x writes them), arrays,
 * strings, byte strings, numbers, booleans, null and undefined. Decoding reads any
 * well-formed CBOR those peers send, including indefinite lengths, half floats and tags.
 * A test checks both directions against cbor-x itself.
 */

const textEncoder = /* @__PURE__ */ new TextEncoder()
const textDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

export function encodeCbor(value: unknown): Uint8Array {
  const writer = new Writer()
  writer.value(value)
  return writer.bytes()
}

class Writer {
  #buffer = new Uint8Array(256)
  #view = new DataView(this.#buffer.buffer)
  #length = 0

  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length)
  }

  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return this.#chunk(3, textEncoder.encode(value))
      case 'number':
        return this.#number(value)
      case 'boolean':
        return this.#byte(value ? 0xf5 : 0xf4)
      case 'undefined':
        return this.#byte(0xf7)
      case 'object':
        if (value === null) return this.#byte(0xf6)
        if (value instanceof Uint8Array) return this.#chunk(2, value)
        // Their contents are not own properties: written as objects they would arrive as {}.
        if (value instanceof Map || value instanceof Set || value instanceof Date) {
          throw new TypeError(`Cannot encode a ${value.constructor.name} as CBOR`)
        }
        if (Array.isArray(value)) {
          this.#head(4, value.length)
          for (const item of value) this.value(item)
          return
        }
        return this.#object(value as Record<string, unknown>)
      default:
        throw new TypeError(`Cannot encode a ${typeof value} as CBOR`)
    }
  }

  #object(object: Record<string, unknown>): void {
    const keys = Object.keys(object)
    // cbor-x (useRecords: false) always writes a 16-bit count; doing the same keeps bytes identical.
    if (keys.length < 0x10000) {
      this.#byte(0xb9)
      this.#uint(keys.length, 2)
    } else this.#head(5, keys.length)
    for (const key of keys) {
      this.value(key)
      this.value(object[key])
    }
  }

  #number(value: number): void {
    if (value >>> 0 === value) return this.#head(0, value)
    if (value >> 0 === value) return this.#head(1, -1 - value)
    if (value < 0 && value >= -0x100000000 && Math.floor(value) === value) {
      this.#byte(0x3a)
      return this.#uint(-1 - value, 4)
    }
    this.#byte(0xfb)
    this.#reserve(8)
    this.#view.setFloat64(this.#length, value)
    this.#length += 8
  }

  #chunk(major: number, bytes: Uint8Array): void {
    this.#head(major, bytes.length)
    this.#reserve(bytes.length)
    this.#buffer.set(bytes, this.#length)
    this.#length += bytes.length
  }

  /** A major type with its argument in the fewest bytes. */
  #head(major: number, argument: number): void {
    const type = major << 5
    if (argument < 24) this.#byte(type | argument)
    else if (argument < 0x100) {
      this.#byte(type | 24)
      this.#uint(argument, 1)
    } else if (argument < 0x10000) {
      this.#byte(type | 25)
      this.#uint(argument, 2)
    } else {
      this.#byte(type | 26)
      this.#uint(argument, 4)
    }
  }

  #uint(value: number, size: 1 | 2 | 4): void {
    this.#reserve(size)
    if (size === 1) this.#view.setUint8(this.#length, value)
    else if (size === 2) this.#view.setUint16(this.#length, value)
    else this.#view.setUint32(this.#length, value)
    this.#length += size
  }

  #byte(value: number): void {
    this.#reserve(1)
    this.#buffer[this.#length++] = value
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#buffer.length) return
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + size))
    grown.set(this.#buffer.subarray(0, this.#length))
    this.#buffer = grown
    this.#view = new DataView(grown.buffer)
  }
}

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
