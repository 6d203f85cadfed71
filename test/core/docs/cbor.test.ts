import { Decoder, Encoder } from 'cbor-x'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCbor, encodeCbor } from '../../../src/wire/cbor.js'

// automerge-repo's own settings (DESIGN §7).
const cborX = new Encoder({ tagUint8Array: false, useRecords: false })
const cborXDecoder = new Decoder({ useRecords: false, mapsAsObjects: true })

/** Anything a protocol message or an ephemeral payload may hold. */
const wireValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.integer(),
    fc.integer({ min: -0x100000000, max: 0x100000000 }),
    // -0 travels as the integer 0 in cbor-x and here alike, so it cannot round-trip.
    fc.double().map((number) => (Object.is(number, -0) ? 0 : number)),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 30 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 30 }),
  ),
})).value

describe('the protocol CBOR codec', () => {
  it('writes the same bytes as cbor-x with automerge-repo\'s settings', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        expect(encodeCbor(value)).toEqual(new Uint8Array(cborX.encode(value)))
      }),
      { numRuns: 400 },
    )
  })

  it('reads what cbor-x writes, with either setting for byte strings', () => {
    const tagged = new Encoder({ useRecords: false })
    fc.assert(
      fc.property(wireValue, (value) => {
        // (cbor-x's own decoder gives Node Buffers for byte strings, so compare with the input.)
        expect(decodeCbor(new Uint8Array(cborX.encode(value)))).toEqual(value)
        expect(decodeCbor(new Uint8Array(tagged.encode(value)))).toEqual(value)
      }),
      { numRuns: 400 },
    )
  })

  it('writes a real sync message that cbor-x reads back', () => {
    const message = { type: 'sync', senderId: 'syncline-1', targetId: 'server', documentId: '2j9knpCseyhnK8izDmLpGP5WMdZQ', data: new Uint8Array([1, 2, 3, 250]) }
    expect(cborXDecoder.decode(encodeCbor(message))).toEqual(message)
  })

  it('reads indefinite lengths, half floats, big integers, undefined and tags', () => {
    // Written by hand, as a non-cbor-x peer might send it.
    const bytes = new Uint8Array([
      0xbf, // map, indefinite
      0x61, 0x61, 0x9f, 0x01, 0x02, 0xff, // "a": [_ 1, 2]
      0x61, 0x62, 0x7f, 0x62, 0x68, 0x65, 0x62, 0x6c, 0x6f, 0xff, // "b": (_ "he", "lo")
      0x61, 0x63, 0xf9, 0x3c, 0x00, // "c": 1.0 as a half float
      0x61, 0x64, 0x1b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // "d": 2^32
      0x61, 0x65, 0xf7, // "e": undefined
      0x61, 0x66, 0xd8, 0x40, 0x42, 0x01, 0x02, // "f": tag 64 h'0102'
      0xff,
    ])
    expect(decodeCbor(bytes)).toEqual({ a: [1, 2], b: 'helo', c: 1, d: 2 ** 32, e: undefined, f: new Uint8Array([1, 2]) })
  })

  it('reads a "__proto__" key as a plain field, never as a prototype', () => {
    const decoded = decodeCbor(new Uint8Array(cborX.encode(JSON.parse('{"__proto__": {"type": "peer"}, "x": 1}')))) as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(Object.keys(decoded)).toEqual(['__proto__', 'x'])
    expect((decoded as { type?: unknown }).type).toBeUndefined()
  })

  it('refuses truncated, overlong, trailing and reserved input with an error, never a crash or a huge allocation', () => {
    const good = encodeCbor({ type: 'peer', senderId: 'server' })
    for (let cut = 1; cut < good.length; cut++) expect(() => decodeCbor(good.subarray(0, cut))).toThrow(/CBOR/)
    expect(() => decodeCbor(new Uint8Array([...good, 0x00]))).toThrow(/left after/)
    expect(() => decodeCbor(new Uint8Array([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(/past the end/)
    expect(() => decodeCbor(new Uint8Array([0x9a, 0x7f, 0xff, 0xff, 0xff]))).toThrow(/past the end/)
    expect(() => decodeCbor(new Uint8Array([0x1c]))).toThrow(/reserved/)
    expect(() => decodeCbor(new Uint8Array([0xff]))).toThrow(/break/)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCbor(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(Error)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
