/**
 * What the soak wrote and what the servers acknowledged: the model the invariants are
 * checked against.
 *
 * Records: each key (world, room, did, rkey) has at most one write in flight. A 2xx answer
 * makes its result known. Any other outcome (an error status, a reset, a timeout) leaves the
 * key ambiguous — the server may or may not have applied the write, and may still apply it
 * after a later one overtakes it — so an ambiguous key takes no more writes, and at the end it
 * may hold either its last acknowledged value or the value of the unanswered write.
 * A value is the text `<opId>`, unique per write; `null` stands for "absent".
 */
export type RecordValue = string | null

export interface RecordKey {
  readonly world: string
  readonly room: string
  readonly did: string
  readonly rkey: string
}

export interface KeyEntry extends RecordKey {
  /** The only values the key may hold at the end; one value while the key is certain. */
  allowed: RecordValue[]
  ambiguous: boolean
  busy: boolean
  /** Acknowledged writes to this key (one lost value loses the last of them). */
  ackedWrites: number
}

export const keyId = ({ world, room, did, rkey }: RecordKey): string => `${world} ${room} ${did}/${rkey}`

export class RecordLedger {
  readonly keys = new Map<string, KeyEntry>()
  acknowledged = 0
  unanswered = 0

  /** A free key of `room` that may take a write, or a new one; `null` when it is busy. */
  begin(key: RecordKey): KeyEntry | null {
    const id = keyId(key)
    let entry = this.keys.get(id)
    if (!entry) {
      entry = { ...key, allowed: [null], ambiguous: false, busy: false, ackedWrites: 0 }
      this.keys.set(id, entry)
    }
    if (entry.busy || entry.ambiguous) return null
    entry.busy = true
    return entry
  }

  settle(entry: KeyEntry, result: RecordValue, acknowledged: boolean): void {
    entry.busy = false
    if (acknowledged) {
      this.acknowledged++
      entry.ackedWrites++
      entry.allowed = [result]
    } else {
      this.unanswered++
      entry.ambiguous = true
      if (!entry.allowed.includes(result)) entry.allowed.push(result)
    }
  }

  /** Keys of `room` (in `world`) that are certain and present: candidates to overwrite or delete. */
  present(world: string, room: string): KeyEntry[] {
    return [...this.keys.values()].filter((entry) => entry.world === world && entry.room === room && !entry.ambiguous && !entry.busy && entry.allowed[0] !== null)
  }

  /** How many records `room` may hold at most (certain, in flight or ambiguous). */
  possiblyPresent(world: string, room: string): number {
    return [...this.keys.values()].filter((entry) => entry.world === world && entry.room === room && (entry.busy || entry.allowed.some((value) => value !== null))).length
  }
}

export interface DocEntry {
  readonly world: string
  readonly url: string
  /** Every edit id made, and those the server acknowledged (`whenSaved('server')` resolved). */
  readonly made: Set<string>
  readonly acked: Set<string>
}

export class DocLedger {
  readonly docs = new Map<string, DocEntry>()

  add(world: string, url: string): DocEntry {
    const entry: DocEntry = { world, url, made: new Set(), acked: new Set() }
    this.docs.set(url, entry)
    return entry
  }

  get acknowledged(): number {
    let count = 0
    for (const doc of this.docs.values()) count += doc.acked.size
    return count
  }

  inWorld(world: string): DocEntry[] {
    return [...this.docs.values()].filter((doc) => doc.world === world)
  }
}
