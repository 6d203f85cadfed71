import { inflateRawSync } from 'node:zlib'
import * as A from '@automerge/automerge'

/**
 * How big Automerge data will be once loaded, read from its bytes without loading it.
 * A few kilobytes of DEFLATE or run-length encoding can stand for a hundred million
 * characters or operations, so neither the frame size nor the stored size says what a
 * change costs. This walks the binary format (chunks: a 12-ish byte header, then a change or
 * a whole document with columnar operations) and adds up, per chunk:
 *
 *     uncompressed bytes + OP_COST_BYTES × rows
 *
 * where rows is the longest column once its runs are expanded (the operation count, or the
 * number of predecessors when that is larger). Inflating stops at the caller's budget, so
 * measuring costs at most the budget, never what the data expands to.
 */

/** Roughly what Automerge keeps per operation beyond the value bytes (indexes, ids, metadata). */
export const OP_COST_BYTES = 4

const MAGIC = [0x85, 0x6f, 0x4a, 0x83]
const DOCUMENT = 0
const CHANGE = 1
const COMPRESSED_CHANGE = 2

/** The measure would exceed the budget: the caller refuses the data. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError'
}

/**
 * The estimated loaded size of concatenated chunks (a stored document, or the changes a
 * sync message carries). Throws TooLargeError past `budget`, and Error for bytes that are
 * not Automerge chunks this server can measure (Automerge would refuse most of those too).
 */
export function measureChunks(bytes: Uint8Array, budget: number): number {
  return measure(bytes, budget, false)
}

/**
 * Like `measureChunks`, for what storage returns: storage that appends every save (such as
 * postgresStorage between compactions) returns several whole saves of one document, which
 * overlap, so the largest document chunk counts rather than their sum.
 */
export function measureStoredDocument(bytes: Uint8Array, budget: number): number {
  return measure(bytes, budget, true)
}

function measure(bytes: Uint8Array, budget: number, documentsOverlap: boolean): number {
  let total = 0
  let largestDocument = 0
  let offset = 0
  while (offset < bytes.length) {
    const reader = new Reader(bytes, offset)
    for (const byte of MAGIC) if (reader.byte() !== byte) throw new Error('not an Automerge chunk (bad magic bytes)')
    reader.skip(4) // checksum
    const type = reader.byte()
    const length = reader.uint()
    const body = reader.take(length)
    offset = reader.offset
    if (type === DOCUMENT && documentsOverlap) {
      // The budget left for this chunk: what the others take, without the largest it may replace.
      const size = measureDocument(body, budget - (total - largestDocument))
      total += Math.max(0, size - largestDocument)
      largestDocument = Math.max(largestDocument, size)
    } else if (type === DOCUMENT) total += measureDocument(body, budget - total)
    else if (type === CHANGE) total += measureChange(body, budget - total)
    else if (type === COMPRESSED_CHANGE) total += measureChange(inflate(body, budget - total), budget - total)
    else throw new Error(`an Automerge chunk of type ${type}, which this server cannot measure`)
    if (total > budget) throw new TooLargeError(`more than ${budget} bytes`)
  }
  return total
}

function measureChange(body: Uint8Array, budget: number): number {
  const reader = new Reader(body, 0)
  reader.skip(reader.uint() * 32) // dependencies
  reader.skip(reader.uint()) // actor
  reader.uint() // seq
  reader.uint() // start op
  reader.int() // time
  reader.skip(reader.uint()) // message
  for (let actors = reader.uint(); actors > 0; actors--) reader.skip(reader.uint())
  const columns = readColumnSpecs(reader)
  let rows = 0
  for (const column of columns) {
    const data = reader.take(column.length)
    rows = Math.max(rows, columnRows(column.spec, column.spec & DEFLATE ? inflate(data, budget) : data))
  }
  return body.length + OP_COST_BYTES * rows
}

function measureDocument(body: Uint8Array, budget: number): number {
  const reader = new Reader(body, 0)
  for (let actors = reader.uint(); actors > 0; actors--) reader.skip(reader.uint())
  reader.skip(reader.uint() * 32) // heads
  const changeColumns = readColumnSpecs(reader)
  const opColumns = readColumnSpecs(reader)
  let size = body.length
  let rows = 0
  for (const column of [...changeColumns, ...opColumns]) {
    let data = reader.take(column.length)
    if (column.spec & DEFLATE) {
      data = inflate(data, budget - size)
      size += data.length
    }
    rows = Math.max(rows, columnRows(column.spec, data))
    if (size + OP_COST_BYTES * rows > budget) throw new TooLargeError(`more than ${budget} bytes`)
  }
  return size + OP_COST_BYTES * rows
}

const DEFLATE = 0b1000

function readColumnSpecs(reader: Reader): Array<{ spec: number; length: number }> {
  const columns: Array<{ spec: number; length: number }> = []
  for (let count = reader.uint(); count > 0; count--) columns.push({ spec: reader.uint(), length: reader.uint() })
  return columns
}

/** Rows a column holds once its runs are expanded; 0 for raw value bytes. */
function columnRows(spec: number, data: Uint8Array): number {
  const type = spec & 0b111
  const reader = new Reader(data, 0)
  let rows = 0
  if (type === 7) return 0 // raw value bytes: counted by length
  if (type === 4) {
    // Boolean: alternating run lengths.
    while (!reader.done) rows += reader.uint()
    return rows
  }
  const skipValue = type === 5 ? () => reader.skip(reader.uint()) : type === 3 ? () => reader.int() : () => reader.uint()
  while (!reader.done) {
    const run = reader.int()
    if (run > 0) {
      rows += run
      skipValue()
    } else if (run < 0) {
      rows -= run
      for (let i = run; i < 0; i++) skipValue()
    } else {
      rows += reader.uint() // a run of nulls
    }
  }
  return rows
}

function inflate(data: Uint8Array, budget: number): Uint8Array {
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, budget + 1) })
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new TooLargeError(`more than ${budget} bytes once inflated`)
    throw new Error('a DEFLATE stream that does not inflate', { cause: error })
  }
}

/** LEB128 and byte reads that throw on truncation rather than read past the end. */
class Reader {
  readonly #bytes: Uint8Array
  offset: number

  constructor(bytes: Uint8Array, offset: number) {
    this.#bytes = bytes
    this.offset = offset
  }

  get done(): boolean {
    return this.offset >= this.#bytes.length
  }

  byte(): number {
    if (this.offset >= this.#bytes.length) throw new Error('truncated Automerge data')
    return this.#bytes[this.offset++]!
  }

  skip(count: number): void {
    if (count > this.#bytes.length - this.offset) throw new Error('truncated Automerge data')
    this.offset += count
  }

  take(count: number): Uint8Array {
    const start = this.offset
    this.skip(count)
    return this.#bytes.subarray(start, this.offset)
  }

  /** Unsigned LEB128, up to 2^53. */
  uint(): number {
    let value = 0
    for (let shift = 1; ; shift *= 128) {
      const byte = this.byte()
      value += (byte & 0x7f) * shift
      if (byte < 0x80) return value
      if (shift > 2 ** 45) throw new Error('a LEB128 number too large')
    }
  }

  /** Signed LEB128, up to ±2^53. */
  int(): number {
    let value = 0
    let shift = 1
    for (;;) {
      const byte = this.byte()
      value += (byte & 0x7f) * shift
      shift *= 128
      if (byte < 0x80) return byte & 0x40 ? value - shift : value
      if (shift > 2 ** 45) throw new Error('a LEB128 number too large')
    }
  }
}

/**
 * The estimated size of the changes a sync message carries (0 for one that carries none, or
 * that Automerge cannot decode: receiving it reports that). Throws like `measureChunks`.
 */
export function measureSyncMessage(data: Uint8Array, budget: number): number {
  let changes: Uint8Array[]
  try {
    changes = A.decodeSyncMessage(data).changes
  } catch {
    return 0
  }
  return measureChanges(changes, budget)
}

/** The estimated size of a sync message's changes, already decoded from it. Throws like `measureChunks`. */
export function measureChanges(changes: readonly Uint8Array[], budget: number): number {
  let total = 0
  for (const change of changes) total += measureChunks(change, budget - total)
  return total
}
