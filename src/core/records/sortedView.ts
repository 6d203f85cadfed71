import type { WatchRecord } from './types.js'

/** Past this many changes since the last read, one sort is cheaper than a splice for each. */
const MAX_CHANGES = 16

/**
 * The confirmed records in view order, kept up to date from the changes since the last read
 * instead of sorted again on every one. A live event then costs a binary search and a splice,
 * not a sort of the whole list: with 500 stores in one process (case 2 of the benchmark) the
 * sorts were the largest item in the client's profile, and a 10,000-record list would pay
 * ~130,000 comparisons per event.
 *
 * The order is exactly what a stable sort of the records in insertion order gives (what the
 * store did before): ties under `compare` are broken by when each key was first added (a
 * replaced record keeps its key's turn; a deleted and re-added key gets a new one), which is
 * the order of the Map the records live in.
 */
export class SortedView<V> {
  readonly #compare: (a: WatchRecord<V>, b: WatchRecord<V>) => number
  /** When each record's key was first added (see above); only read for ties, through `#turns()`. */
  readonly #turn = new WeakMap<WatchRecord<V>, number>()
  #nextTurn = 0
  /**
   * Added records whose turns, the next ones in this order, are not in `#turn` yet: a cache seed
   * of 10,000 records made as many WeakMap entries on the first paint's path (a fifth of its own
   * work), for ties that may never come. Moved in when a turn is read or a record leaves.
   */
  #unnumbered: WatchRecord<V>[] = []
  /** Null: to be sorted from scratch at the next read. Mutated in place; callers copy it. */
  #sorted: WatchRecord<V>[] | null = null
  #added: WatchRecord<V>[] = []
  #gone = new Set<WatchRecord<V>>()

  constructor(compare: (a: WatchRecord<V>, b: WatchRecord<V>) => number) {
    this.#compare = compare
  }

  /** A record under a key that was not there. */
  added(record: WatchRecord<V>): void {
    this.#unnumbered.push(record)
    if (this.#sorted === null) return
    // The same object back after it left: it has a new turn, so it cannot stay where it was.
    if (this.#gone.has(record)) return this.reset()
    this.#added.push(record)
    this.#limit()
  }

  /** `record` now stands under `old`'s key, in its turn. */
  replaced(old: WatchRecord<V>, record: WatchRecord<V>): void {
    const turns = this.#turns()
    turns.set(record, turns.get(old) ?? this.#nextTurn++)
    if (this.#sorted === null) return
    if (this.#gone.has(record)) return this.reset()
    this.#gone.add(old)
    this.#added.push(record)
    this.#limit()
  }

  removed(record: WatchRecord<V>): void {
    this.#turns() // holds no record that has left
    if (this.#sorted === null) return
    this.#gone.add(record)
    this.#limit()
  }

  /** Many records changed at once: the next read sorts them all. */
  reset(): void {
    this.#turns()
    this.#sorted = null
    this.#added = []
    this.#gone.clear()
  }

  #turns(): WeakMap<WatchRecord<V>, number> {
    // Over any older entry: an object back after it left has a new turn.
    for (const record of this.#unnumbered) this.#turn.set(record, this.#nextTurn++)
    this.#unnumbered.length = 0
    return this.#turn
  }

  #limit(): void {
    if (this.#added.length + this.#gone.size > MAX_CHANGES) this.reset()
  }

  /** The records in order; `all` holds them in insertion order, for when a full sort is due. */
  read(all: { values(): Iterable<WatchRecord<V>> }): readonly WatchRecord<V>[] {
    let sorted = this.#sorted
    if (sorted === null || !this.#applyChanges(sorted)) sorted = [...all.values()].sort(this.#order)
    this.#sorted = sorted
    this.#added = []
    this.#gone.clear()
    return sorted
  }

  /** False when the list is not as expected (a record changed under us): sort instead. */
  #applyChanges(sorted: WatchRecord<V>[]): boolean {
    for (const record of this.#gone) {
      // Found by its place in the order, or, if its fields were changed in place, by a scan.
      let at = this.#lowerBound(sorted, record)
      if (sorted[at] !== record) at = sorted.indexOf(record)
      if (at !== -1) sorted.splice(at, 1)
      else if (!this.#added.includes(record)) return false
    }
    for (const record of this.#added) {
      if (!this.#gone.has(record)) sorted.splice(this.#lowerBound(sorted, record), 0, record)
    }
    return true
  }

  #lowerBound(sorted: readonly WatchRecord<V>[], record: WatchRecord<V>): number {
    let low = 0
    let high = sorted.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#order(sorted[middle]!, record) < 0) low = middle + 1
      else high = middle
    }
    return low
  }

  readonly #order = (a: WatchRecord<V>, b: WatchRecord<V>): number =>
    this.#compare(a, b) || (this.#turns().get(a) ?? 0) - (this.#turn.get(b) ?? 0)
}
