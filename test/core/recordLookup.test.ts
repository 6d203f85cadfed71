import { describe, expect, it } from 'vitest'
import { findRecord } from '../../src/core/records/recordLookup.js'
import type { WatchRecord } from '../../src/core/records/types.js'

const record = (did: string, rkey: string, text: string): WatchRecord<{ text: string }> => ({
  uri: `at://${did}/c/${rkey}`,
  did,
  rkey,
  collection: 'c',
  value: { text },
  cid: text,
  time_us: 0,
})

/** Long enough to be indexed rather than scanned, with rkeys shared between authors. */
function list(): WatchRecord<{ text: string }>[] {
  const records: WatchRecord<{ text: string }>[] = []
  for (let i = 0; i < 40; i++) records.push(record(i % 2 === 0 ? 'did:a' : 'did:b', `k${Math.floor(i / 2)}`, `t${i}`))
  return records
}

describe('findRecord', () => {
  it('gives what records.find gives, with and without an author, in long and short lists', () => {
    for (const records of [list(), list().slice(0, 6)]) {
      for (const rkey of ['k0', 'k7', 'k19', 'missing']) {
        expect(findRecord(records, rkey)).toBe(records.find((r) => r.rkey === rkey))
        for (const did of ['did:a', 'did:b', 'did:c']) {
          expect(findRecord(records, rkey, did)).toBe(records.find((r) => r.rkey === rkey && r.did === did))
        }
      }
    }
  })

  it('indexes each array on its own: a new snapshot array is looked up afresh', () => {
    const first = list()
    expect(findRecord(first, 'k3')?.value.text).toBe('t6')
    const second = [record('did:b', 'k3', 'newer'), ...first.filter((r) => r.rkey !== 'k3')]
    expect(findRecord(second, 'k3')?.value.text).toBe('newer')
    expect(findRecord(second, 'k3', 'did:a')).toBeUndefined()
    expect(findRecord(first, 'k3')?.value.text).toBe('t6')
  })
})
