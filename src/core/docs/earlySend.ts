import type { Automerge, Doc, Heads } from './automerge.js'
import { sameHeads } from './docPersister.js'
import type { DocSync, OutgoingSync } from './docSync.js'
import { markSent } from '../../wire/syncStateMarks.js'

/**
 * Sending a local change the moment it is made, without `generateSyncMessage` (bench case 1,
 * hop 1: it was about a quarter of A's part of a relay, after a microtask wait).
 *
 * When the server has shown it has exactly what we had before the change (its heads and the
 * heads we share are our previous heads, and it needs nothing), Automerge's
 * message for the change is known in advance: our new heads, a `have` of the shared heads
 * with a Bloom filter of the one new change, no `need`, and the change itself. This builds
 * that message from `getLastLocalChange` and records in the sync state what
 * `generateSyncMessage` records when it sends it (the change as sent, the heads as last sent,
 * a message in flight), so the next generated message neither repeats the change nor misses
 * it. In any other state it returns null and the change goes the usual way.
 *
 * It also sends the change where `generateSyncMessage` would not: after a server message
 * with an empty `have` (syncline's server relays that way, earlyRelay.ts) Automerge sends
 * only its heads, and the server has to ask for the change: a round trip more.
 */

/** The sync state as Automerge hands it to JS at run time (its `SyncState` type is opaque, and types some of these otherwise). */
interface RuntimeSyncState {
  readonly sharedHeads: Heads
  readonly theirHeads?: Heads | null
  readonly theirNeed?: Heads | null
  readonly theirHave?: ReadonlyArray<{ readonly lastSync: Heads }> | null
  readonly haveResponded?: boolean
  readonly readOnly?: boolean
  readonly peerReadOnly?: boolean
  readonly theirCapabilities?: readonly string[]
}

/**
 * The message for the local change that took the document from `previous` to `heads`, and
 * the sync state after sending it; null unless it is certain to carry what
 * `generateSyncMessage` would (`previous`: the document's heads before the change).
 */
export function localChangeMessage<T>(A: Automerge, doc: Doc<T>, sync: DocSync, previous: Heads, heads: Heads): [DocSync, OutgoingSync] | null {
  const state = sync.state as unknown as RuntimeSyncState
  // One change on top of what both sides have: it is the only head, and the one to send.
  if (!sync.roundDone || heads.length !== 1 || previous.length === 0) return null
  // A message in flight does not hold a new change back: Automerge waits only while the heads are unchanged.
  if (state.haveResponded !== true || state.readOnly === true || state.peerReadOnly === true) return null
  if (!sameHeads(state.sharedHeads, previous) || !state.theirHeads || !sameHeads(state.theirHeads, previous)) return null
  if ((state.theirNeed?.length ?? 0) > 0) return null
  // Automerge answers a `have` it cannot place with a sync reset instead: left to it.
  if (state.theirHave?.some((have) => !sameHeads(have.lastSync, previous) && !A.hasHeads(doc, have.lastSync))) return null
  // The message version Automerge writes to a peer that announced it; others get Automerge's own.
  if (!state.theirCapabilities?.includes('message-v2')) return null
  const change = A.getLastLocalChange(doc)
  if (!change) return null
  const message = { heads, need: [], have: [{ lastSync: state.sharedHeads, bloom: bloomFilter(heads) }], changes: [change], type: 'v2', supportedCapabilities: supportedCapabilities(A) }
  const data = A.encodeSyncMessage(message as Parameters<Automerge['encodeSyncMessage']>[0])
  return [{ ...sync, state: markSent(sync.state, heads, [heads[0]!]) }, { type: 'sync', data }]
}

const BITS_PER_ENTRY = 10
const PROBES = 7

/**
 * Automerge's Bloom filter of change hashes, byte for byte (its `BloomFilter::from_hashes`):
 * LEB128 entry count, bits per entry and probe count, then the bits, each probe derived from
 * the hash's first three little-endian 32-bit words.
 */
export function bloomFilter(hashes: readonly string[]): Uint8Array {
  if (hashes.length === 0) return new Uint8Array(0)
  const header = [...leb128(hashes.length), BITS_PER_ENTRY, PROBES]
  const bits = new Uint8Array(header.length + Math.ceil((hashes.length * BITS_PER_ENTRY) / 8))
  bits.set(header)
  const modulo = (bits.length - header.length) * 8
  for (const hash of hashes) {
    let x = littleEndianWord(hash, 0) % modulo
    let y = littleEndianWord(hash, 1) % modulo
    const z = littleEndianWord(hash, 2) % modulo
    for (let probe = 0; probe < PROBES; probe++) {
      bits[header.length + (x >>> 3)]! |= 1 << (x & 7)
      x = (x + y) % modulo
      y = (y + z) % modulo
    }
  }
  return bits
}

/** The `index`th 32-bit little-endian word of a hex hash. */
function littleEndianWord(hash: string, index: number): number {
  let word = 0
  for (let byte = 3; byte >= 0; byte--) word = word * 256 + parseInt(hash.slice(index * 8 + byte * 2, index * 8 + byte * 2 + 2), 16)
  return word
}

function leb128(value: number): number[] {
  const bytes: number[] = []
  do {
    const low = value & 0x7f
    value = Math.floor(value / 128)
    bytes.push(value > 0 ? low | 0x80 : low)
  } while (value > 0)
  return bytes
}

const capabilities = new WeakMap<object, unknown>()

/** What Automerge announces in its own messages, read once from one it generates. */
function supportedCapabilities(A: Automerge): unknown {
  if (!capabilities.has(A)) {
    const [, sample] = A.generateSyncMessage(A.init(), A.initSyncState())
    capabilities.set(A, sample === null ? undefined : (A.decodeSyncMessage(sample) as { supportedCapabilities?: unknown }).supportedCapabilities)
  }
  return capabilities.get(A)
}
