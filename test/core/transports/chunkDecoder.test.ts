import { describe, expect, it } from 'vitest'
import { createChunkDecoder } from '../../../src/core/records/chunkDecoder.js'

/** What sseTransport did before: one decoder, `{ stream: true }` on every chunk. */
function reference(chunks: readonly Uint8Array[]): string[] {
  const decoder = new TextDecoder()
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true }))
}

function decodeAll(chunks: readonly Uint8Array[]): string[] {
  const decode = createChunkDecoder()
  return chunks.map((chunk) => decode(chunk))
}

/** Every way of cutting `bytes` into two and three pieces. */
function everySplit(bytes: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [[bytes]]
  for (let i = 1; i < bytes.length; i++) {
    splits.push([bytes.subarray(0, i), bytes.subarray(i)])
    for (let j = i + 1; j < bytes.length; j++) splits.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])
  }
  return splits
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

describe('createChunkDecoder', () => {
  it('decodes every split of a stream exactly as one streaming TextDecoder does', () => {
    const streams = [
      utf8('data: é€😀\n\ndata: x\n\n'),
      // A leading BOM is dropped once; a later one is text.
      utf8('\uFEFFdata: a\n\n\uFEFFdata: b\n\n'),
      utf8('\uFEFF\uFEFFa\n'),
      // Broken sequences: a lone lead byte before ASCII, a lone continuation byte, a cut-off
      // four-byte sequence at the very end.
      concat(utf8('a'), new Uint8Array([0xe2, 0x82]), utf8('b\n'), new Uint8Array([0x80]), utf8('c\n'), new Uint8Array([0xf0, 0x9f, 0x98])),
    ]
    for (const bytes of streams) {
      for (const chunks of everySplit(bytes)) expect(decodeAll(chunks)).toEqual(reference(chunks))
    }
  })

  it('gives empty chunks back as empty text without losing a held-back character', () => {
    const euro = utf8('€')
    const chunks = [euro.subarray(0, 1), new Uint8Array(0), euro.subarray(1), new Uint8Array(0), utf8('\n')]
    expect(decodeAll(chunks)).toEqual(reference(chunks))
    expect(decodeAll(chunks).join('')).toBe('€\n')
  })
})
