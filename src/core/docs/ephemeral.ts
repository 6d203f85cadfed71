import { SyncError } from '../errors.js'
import type { EphemeralMeta } from './types.js'

/**
 * How many peer sessions a document remembers the last ephemeral `count` of. Peers do not
 * say when they leave, so the least recently heard-from session is forgotten past this; a
 * forgotten session's duplicate is then delivered once more, which presence tolerates.
 */
export const DEFAULT_MAX_EPHEMERAL_SOURCES = 256

/** An `ephemeral` message as the server relays it. */
export interface EphemeralEnvelope {
  readonly senderId: string
  readonly sessionId: string
  readonly count: number
  readonly data: Uint8Array
}

export interface EphemeralInboxOptions {
  /** Our own peer id: the server may echo our messages back. */
  readonly ownPeerId: string
  /** Names the document in error messages. */
  readonly label: string
  /** @default DEFAULT_MAX_EPHEMERAL_SOURCES */
  readonly maxSources?: number | undefined
  /** Bad input from the server (undecodable data). */
  problem(error: SyncError): void
  /** A listener threw. */
  ignored(error: unknown): void
}

type EphemeralListener = (message: unknown, meta: EphemeralMeta) => void

/** The ephemeral messages of one document: duplicates dropped, data decoded, listeners called. */
export class EphemeralInbox {
  readonly #options: EphemeralInboxOptions
  readonly #maxSources: number
  readonly #listeners = new Set<EphemeralListener>()
  /** Last count per `senderId + sessionId`, least recently heard first. */
  readonly #lastCount = new Map<string, number>()

  constructor(options: EphemeralInboxOptions) {
    this.#options = options
    this.#maxSources = options.maxSources ?? DEFAULT_MAX_EPHEMERAL_SOURCES
  }

  /** How many peer sessions are remembered now (at most `maxSources`). */
  get trackedSources(): number {
    return this.#lastCount.size
  }

  listen(listener: EphemeralListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /** `decode` is CBOR's decoder, which loads with the socket code (this message came on a socket). */
  receive(envelope: EphemeralEnvelope, decode: (data: Uint8Array) => unknown): void {
    const { senderId, sessionId, count } = envelope
    if (senderId === this.#options.ownPeerId) return
    // A relay may deliver a message twice (two paths); counts only grow within a session.
    const source = `${senderId}\u0000${sessionId}`
    const last = this.#lastCount.get(source)
    if (last !== undefined && count <= last) return
    this.#remember(source, count)
    let value: unknown
    try {
      value = decode(envelope.data)
    } catch (error) {
      this.#options.problem(new SyncError('protocol', `An ephemeral message for ${this.#options.label} whose data is not CBOR`, { cause: error }))
      return
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(value, { senderId, sessionId, count })
      } catch (error) {
        this.#options.ignored(error)
      }
    }
  }

  #remember(source: string, count: number): void {
    // Re-inserting moves the source to the end: the first key is always the least recent.
    this.#lastCount.delete(source)
    this.#lastCount.set(source, count)
    if (this.#lastCount.size <= this.#maxSources) return
    const oldest = this.#lastCount.keys().next().value
    if (oldest !== undefined) this.#lastCount.delete(oldest)
  }
}

/**
 * Checks that `message` is what CBOR carries unchanged to every peer: Map, Set and Date would
 * arrive as `{}`, so they are refused, as are functions, symbols and bigints. The same rules
 * as the encoder's (wire/cborEncode.ts, which a test holds this to), checked here so that
 * `broadcast()` refuses at once, even before the encoder has loaded with the socket code.
 * @throws SyncError `'bad-input'` for a value CBOR cannot carry here.
 */
export function checkEphemeral(message: unknown, label: string): void {
  try {
    checkValue(message)
  } catch (error) {
    throw new SyncError('bad-input', `broadcast() on ${label}: ${(error as Error).message}`, { cause: error })
  }
}

function checkValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return
    case 'object':
      if (value === null || value instanceof Uint8Array) return
      if (value instanceof Map || value instanceof Set || value instanceof Date) {
        throw new TypeError(`Cannot encode a ${value.constructor.name} as CBOR`)
      }
      for (const item of Array.isArray(value) ? value : Object.values(value)) checkValue(item)
      return
    default:
      throw new TypeError(`Cannot encode a ${typeof value} as CBOR`)
  }
}
