import bs58check from 'bs58check'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase58Check, encodeBase58Check } from '../../src/wire/base58check.js'

describe('base58check', () => {
  it('encodes exactly as the bs58check package, including leading zero bytes and long payloads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (payload) => {
        expect(encodeBase58Check(payload)).toBe(bs58check.encode(payload))
      }),
      { numRuns: 500 },
    )
    expect(encodeBase58Check(new Uint8Array(16))).toBe(bs58check.encode(new Uint8Array(16)))
  })

  it('decodes what bs58check encodes, and refuses a changed character or a bad alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (payload, at) => {
        const text = bs58check.encode(payload)
        expect(decodeBase58Check(text)).toEqual(payload)
        const index = at % text.length
        const swapped = text.slice(0, index) + (text[index] === '2' ? '3' : '2') + text.slice(index + 1)
        expect(decodeBase58Check(swapped)).toEqual(bs58check.decodeUnsafe(swapped))
      }),
      { numRuns: 500 },
    )
    expect(decodeBase58Check('0OIl')).toBeUndefined()
    expect(decodeBase58Check('')).toBeUndefined()
  })
})
