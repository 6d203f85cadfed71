import bs58check from 'bs58check'
import { describe, expect, it } from 'vitest'
import { generateDocumentId, isValidDocumentId, parseDocumentUrl, toDocumentUrl } from '../../../src/core/docs/documentId.js'
import { SyncError } from '../../../src/core/errors.js'

describe('document ids', () => {
  it('are 16 bytes with UUIDv4 version and variant bits, bs58check-encoded, and all different', () => {
    const ids = new Set(Array.from({ length: 200 }, generateDocumentId))
    expect(ids.size).toBe(200)
    for (const id of ids) {
      const bytes = bs58check.decode(id)
      expect(bytes).toHaveLength(16)
      expect(bytes[6]! >> 4).toBe(4)
      expect(bytes[8]! >> 6).toBe(0b10)
      expect(isValidDocumentId(id)).toBe(true)
    }
  })

  it('parse from automerge: URLs and bare ids, and refuse anything else with bad-input', () => {
    const id = generateDocumentId()
    expect(parseDocumentUrl(id)).toEqual({ documentId: id, url: `automerge:${id}` })
    expect(parseDocumentUrl(toDocumentUrl(id))).toEqual({ documentId: id, url: `automerge:${id}` })
    const fifteenBytes = bs58check.encode(new Uint8Array(15).fill(7))
    const flipped = id.slice(0, 5) + (id[5] === 'a' ? 'b' : 'a') + id.slice(6)
    for (const bad of [flipped, fifteenBytes, 'automerge:', 'automerge:../etc/passwd', `${id}#abc`, ` ${id}`]) {
      expect(isValidDocumentId(bad.replace('automerge:', ''))).toBe(false)
      expect(() => parseDocumentUrl(bad)).toThrow(SyncError)
    }
    expect(() => parseDocumentUrl(flipped)).toThrow(/not an automerge document id/)
  })
})
