import bs58check from 'bs58check'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase58Check, encodeBase58Check, sha256Constants } from '../../src/wire/base58check.js'

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

  it('computes the SHA-256 constants of FIPS 180-4 exactly (K, §4.2.2, and the initial hash, §5.3.3)', () => {
    const published = {
      k: '428a2f98 71374491 b5c0fbcf e9b5dba5 3956c25b 59f111f1 923f82a4 ab1c5ed5 d807aa98 12835b01 243185be 550c7dc3 72be5d74 80deb1fe 9bdc06a7 c19bf174 e49b69c1 efbe4786 0fc19dc6 240ca1cc 2de92c6f 4a7484aa 5cb0a9dc 76f988da 983e5152 a831c66d b00327c8 bf597fc7 c6e00bf3 d5a79147 06ca6351 14292967 27b70a85 2e1b2138 4d2c6dfc 53380d13 650a7354 766a0abb 81c2c92e 92722c85 a2bfe8a1 a81a664b c24b8b70 c76c51a3 d192e819 d6990624 f40e3585 106aa070 19a4c116 1e376c08 2748774c 34b0bcb5 391c0cb3 4ed8aa4a 5b9cca4f 682e6ff3 748f82ee 78a5636f 84c87814 8cc70208 90befffa a4506ceb bef9a3f7 c67178f2',
      initial: '6a09e667 bb67ae85 3c6ef372 a54ff53a 510e527f 9b05688c 1f83d9ab 5be0cd19',
    }
    const hex = (words: Uint32Array): string => [...words].map((word) => word.toString(16).padStart(8, '0')).join(' ')
    const { k, initial } = sha256Constants()
    expect(hex(k)).toBe(published.k)
    expect(hex(initial)).toBe(published.initial)
  })

  it('keeps the computed initial hash intact across digests (each hash starts from a copy)', () => {
    const id = encodeBase58Check(new Uint8Array(16).fill(7))
    expect(encodeBase58Check(new Uint8Array(16).fill(7))).toBe(id)
    expect(id).toBe(bs58check.encode(new Uint8Array(16).fill(7)))
  })
})
