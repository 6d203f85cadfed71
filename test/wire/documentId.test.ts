import bs58check from 'bs58check'
import { describe, expect, it } from 'vitest'
import { generateDocumentId, isValidDocumentId, parseDocumentUrlText, toDocumentUrl } from '../../src/wire/documentId.js'

describe('wire document ids', () => {
  it('are checked the same way the server and the client check them: 16 bytes, canonical, no path tricks', () => {
    const id = generateDocumentId()
    expect(isValidDocumentId(id)).toBe(true)
    // What the server's old bs58check-based check accepted is exactly what this accepts.
    for (const bytes of [new Uint8Array(16), new Uint8Array(16).fill(255), new Uint8Array(15).fill(7), new Uint8Array(17).fill(1)]) {
      const text = bs58check.encode(bytes)
      expect(isValidDocumentId(text)).toBe(bytes.byteLength === 16)
    }
    for (const bad of ['', '../etc/passwd', `${id}/x`, id.slice(1), 'x'.repeat(41), 42, null, undefined]) {
      expect(isValidDocumentId(bad)).toBe(false)
    }
  })

  it('remember ids once checked, never a refused one, and stay right past the number they remember', () => {
    const id = generateDocumentId()
    const misspelt = `${id.slice(0, -1)}${id.endsWith('2') ? '3' : '2'}`
    // Asked twice each: a remembered answer must be the checked one.
    for (let round = 0; round < 2; round++) {
      expect(isValidDocumentId(misspelt)).toBe(false)
      expect(isValidDocumentId(id)).toBe(true)
    }
    const many = Array.from({ length: 1500 }, () => generateDocumentId())
    for (const each of many) expect(isValidDocumentId(each)).toBe(true)
    expect(many.every((each) => isValidDocumentId(each))).toBe(true)
    expect(isValidDocumentId(id)).toBe(true)
    expect(isValidDocumentId(misspelt)).toBe(false)
  })

  it('parse automerge: URLs and bare ids into a result, never a throw', () => {
    const id = generateDocumentId()
    expect(parseDocumentUrlText(toDocumentUrl(id))).toEqual({ ok: true, documentId: id, url: `automerge:${id}` })
    expect(parseDocumentUrlText(id)).toEqual({ ok: true, documentId: id, url: `automerge:${id}` })
    expect(parseDocumentUrlText(`${id}#heads`)).toEqual({ ok: false, reason: expect.stringMatching(/specific heads/) as unknown })
    expect(parseDocumentUrlText('automerge:nope')).toEqual({ ok: false, reason: expect.stringMatching(/not an automerge document id/) as unknown })
    expect(parseDocumentUrlText(7)).toEqual({ ok: false, reason: expect.stringMatching(/must be a string/) as unknown })
  })
})
