import { describe, expect, it } from 'vitest'
import { newTid as serverTid } from '../../src/server/records/recordIds.js'
import { isTid, newTid } from '../../src/wire/tid.js'

describe('TIDs (src/wire/tid.ts)', () => {
  it('are 13 characters of the sortable base32 alphabet', () => {
    const tid = newTid()
    expect(tid).toHaveLength(13)
    expect(isTid(tid)).toBe(true)
    expect(isTid('3jzfcijpj2z2a')).toBe(true) // an AT Protocol example
    for (const bad of ['', '3jzfcijpj2z2', '3jzfcijpj2z2aa', 'zjzfcijpj2z2a', '3jzfcijpj2z1a', '3JZFCIJPJ2Z2A']) expect(isTid(bad), bad).toBe(false)
  })

  it('sort as strings in the order of their timestamps', () => {
    const early = newTid(1_700_000_000_000_000)
    const later = newTid(1_800_000_000_000_000)
    expect(early < later).toBe(true)
    const times = [1_900_000_000_000_000, 1_900_000_000_000_001, 1_900_000_001_000_000, 2_000_000_000_000_000]
    const tids = times.map((micros) => newTid(micros))
    expect([...tids].sort()).toEqual(tids)
  })

  it('strictly increase when several are made within one microsecond, or the clock steps back', () => {
    const micros = 2_100_000_000_000_000
    const tids = Array.from({ length: 50 }, () => newTid(micros))
    tids.push(newTid(micros - 5_000_000))
    for (let i = 1; i < tids.length; i++) expect(tids[i]! > tids[i - 1]!).toBe(true)
    expect(new Set(tids).size).toBe(tids.length)
  })

  it('are the same implementation on the server', () => {
    expect(serverTid).toBe(newTid)
    expect(isTid(serverTid())).toBe(true)
  })
})
