/** CBOR encoding; see cbor.ts. A module of its own so that a page can encode without the decoder. */
const textEncoder = /* @__PURE__ */ new TextEncoder()

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
