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
        } else if (roll < 0.8) {
          // A cache seed of a few records: in view order (as a cache saves them) or not, new
          // objects or ones the store already holds (the memory cache hands back the same objects).
          const batch = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
            next() < 0.2 && confirmed.size > 0
              ? [...confirmed.values()][Math.floor(next() * confirmed.size)]!
              : record(`did:example:${Math.floor(next() * 3)}`, `s${Math.floor(next() * 60)}`, Math.floor(next() * 50), n++),
          )
          confirmed.seed(next() < 0.5 ? batch.sort(compare) : batch)
        } else if (roll < 0.83) confirmed.clear()
        // Read now and then, so changes pile up between reads as they do between renders.
        if (next() < 0.5) expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
      }
      expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
    })
  }

  for (const [name, compare] of Object.entries(comparators)) {
    it(`seeds an empty store from a cache in any order, the same objects again after a clear too (${name})`, () => {
      const next = random(11)
      let n = 0
      const fresh = () => record(`did:example:${Math.floor(next() * 2)}`, `k${Math.floor(next() * 30)}`, Math.floor(next() * 8), n++)
      for (let trial = 0; trial < 300; trial++) {
        const confirmed = new ConfirmedRecords<Value>(compare)
        if (next() < 0.5) {
          for (let i = 0; i < 5; i++) confirmed.upsert(fresh())
          confirmed.sorted()
          // A logout, then the next session's cache read hands back some of the same objects.
          const before = [...confirmed.values()]
          confirmed.clear()
          confirmed.seed([...before.filter(() => next() < 0.7), ...Array.from({ length: 3 }, fresh)].sort(() => next() - 0.5))
        } else {
          const batch = Array.from({ length: Math.floor(next() * 20) }, fresh)
          confirmed.seed(next() < 0.5 ? batch.sort(compare) : batch)
        }
        expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
        for (let step = 0; step < 6; step++) {
          const roll = next()
          if (roll < 0.5) confirmed.upsert(fresh())
          else if (roll < 0.8) confirmed.delete({ did: `did:example:${Math.floor(next() * 2)}`, rkey: `k${Math.floor(next() * 30)}` })
          else confirmed.seed([fresh(), fresh()])
          if (next() < 0.5) expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
        }
        expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
      }
    })
  }

  it('takes cached records in view order as they are, ties in the cache order, and keeps that order for later changes', () => {
    const compare = comparators.byValueBucket
    const confirmed = new ConfirmedRecords<Value>(compare)
    // Sorted, with ties (the same bucket) in the order a cache would hold them.
    const cached = Array.from({ length: 30 }, (_, i) => record('did:example:a', `k${i}`, i, i)).sort(compare)
    confirmed.seed(cached)
    expect(confirmed.sorted()).toEqual(cached)
    // Equal under `compare` to the first cached record of its bucket: it goes after every cached tie.
    const late = record('did:example:b', 'late', 0, 30)
    confirmed.upsert(late)
    expect(confirmed.sorted()).toEqual(fullSort(confirmed, compare))
    expect(confirmed.sorted().indexOf(late)).toBe(cached.filter((r) => compare(r, late) <= 0).length)
  })

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
