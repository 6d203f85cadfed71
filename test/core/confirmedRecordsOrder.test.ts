import { describe, expect, it } from 'vitest'
import { ConfirmedRecords } from '../../src/core/records/confirmedRecords.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import { compareNewestFirst } from '../../src/wire/watchRecords.js'

type Value = { n: number }
const COLLECTION = 'com.example.message'

function record(did: string, rkey: string, time: number, n: number): WatchRecord<Value> {
  return { uri: `at://${did}/${COLLECTION}/${rkey}`, did, rkey, collection: COLLECTION, cid: `c${n}`, value: { n }, time_us: time, indexed_at: time }
}

/** A small deterministic PRNG, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

// What the store did before the view was kept sorted: a stable sort of the records in insertion order.
const fullSort = (records: ConfirmedRecords<Value>, compare: (a: WatchRecord<Value>, b: WatchRecord<Value>) => number) =>
  [...records.values()].sort(compare)

describe('ConfirmedRecords.sorted', () => {
  const comparators = {
    newestFirst: compareNewestFirst,
    // Many ties: the order among equal records must still be insertion order.
    byValueBucket: (a: WatchRecord<Value>, b: WatchRecord<Value>) => (a.value.n % 3) - (b.value.n % 3),
  }
  for (const [name, compare] of Object.entries(comparators)) {
    it(`matches a stable sort of the records in insertion order after every change (${name})`, () => {
      const next = random(7)
      const confirmed = new ConfirmedRecords<Value>(compare)
      let n = 0
      for (let step = 0; step < 3000; step++) {
        const roll = next()
        const did = `did:example:${Math.floor(next() * 3)}`
        const rkey = `k${Math.floor(next() * 40)}`
        if (roll < 0.5) confirmed.upsert(record(did, rkey, Math.floor(next() * 50), n++))
        else if (roll < 0.75) confirmed.delete({ did, rkey })
        else if (roll < 0.78) {
          confirmed.beginSnapshot()
          for (const kept of [...confirmed.values()].filter(() => next() < 0.7)) confirmed.upsert(kept)
          confirmed.endSnapshot()
        } else if (roll < 0.8) confirmed.seed([record(did, `s${n}`, Math.floor(next() * 50), n++)])
        else if (roll < 0.81) confirmed.clear()
        // Read now and then, so changes pile up between reads as they do between renders.
        if (next() < 0.5) expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
      }
      expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
    })
  }

  it('places one new record among 1000 without sorting them again', () => {
    let calls = 0
    const confirmed = new ConfirmedRecords<Value>((a, b) => {
      calls++
      return compareNewestFirst(a, b)
    })
    for (let i = 0; i < 1000; i++) confirmed.upsert(record('did:example:a', `k${i}`, i, i))
    confirmed.sorted()
    calls = 0
    confirmed.upsert(record('did:example:a', 'new', 2000, 2000))
    const sorted = confirmed.sorted()
    expect(sorted[0]!.rkey).toBe('new')
    expect(sorted).toHaveLength(1001)
    // A binary search: about log2(1000) comparisons. Sorting again took over 1000.
    expect(calls).toBeLessThan(40)
  })
})
