import { Decoder, Encoder } from 'cbor-x'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createFrameDecoder, MAX_FRAME_DEPTH, parseClientMessage, ProtocolError } from '../../src/server/docs/protocol.js'
import { frameShapeProblem } from '../../src/server/docs/frameShape.js'
import { generateDocumentId } from '../../src/wire/documentId.js'

/**
 * The server reads frames with the project's codec (src/wire/cbor.ts) instead of cbor-x. This
 * checks, against cbor-x itself, that it reads every frame a stock automerge-repo client can
 * send exactly as the cbor-x decoder it replaced did: the old path is rebuilt here.
 */
function oldServerDecode(frame: Uint8Array): unknown {
  const problem = frameShapeProblem(frame, MAX_FRAME_DEPTH)
  if (problem !== null) throw new ProtocolError(`Malformed CBOR frame: ${problem}`)
  let value: unknown
  try {
    value = new Decoder({ useRecords: false, mapsAsObjects: true }).decode(frame)
  } catch (error) {
    throw new ProtocolError(`Malformed CBOR frame: ${String(error)}`)
  }
  return parseClientMessage(value)
}

/** cbor-x gives Node Buffers for byte strings; compare contents, not classes. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

function outcome(read: (frame: Uint8Array) => unknown, frame: Uint8Array): { message: unknown } | { refused: string } {
  try {
    return { message: plain(read(frame)) }
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return { refused: (error as Error).message }
  }
}

/**
 * Same answer, or refused by both (the refusal texts of the two decoders differ). The one
 * deliberate difference: text that is not UTF-8 is malformed CBOR (RFC 8949 §3.1), which the
 * new codec refuses where cbor-x read it as U+FFFD.
 */
function expectSameOutcome(frame: Uint8Array): void {
  const now = outcome(createFrameDecoder(), frame)
  const before = outcome(oldServerDecode, frame)
  if ('refused' in now && 'refused' in before) return
  if ('refused' in now && /utf-8/i.test(now.refused)) return
  expect(now).toEqual(before)
}

const stock = new Encoder({ tagUint8Array: false, useRecords: false }) // automerge-repo's helpers/cbor.js
const tagged = new Encoder({ useRecords: false }) // older setups tag byte strings with 64
const ids = [generateDocumentId(), generateDocumentId()]

const heads = fc.array(fc.string({ maxLength: 64 }), { maxLength: 4 })
const message = fc.oneof(
  fc.record({ type: fc.constant('join'), senderId: fc.string({ minLength: 1, maxLength: 20 }), peerMetadata: fc.record({ isEphemeral: fc.boolean(), storageId: fc.string() }, { requiredKeys: [] }), supportedProtocolVersions: fc.array(fc.constantFrom('1', '2')) }, { requiredKeys: ['type', 'senderId'] }),
  fc.record({ type: fc.constantFrom('sync', 'request'), senderId: fc.constant('peer'), targetId: fc.constant('server'), documentId: fc.constantFrom(...ids, 'bad'), data: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('ephemeral'), senderId: fc.constant('peer'), targetId: fc.constant('server'), documentId: fc.constantFrom(...ids), sessionId: fc.string(), count: fc.oneof(fc.integer(), fc.double()), data: fc.uint8Array({ maxLength: 50 }) }),
  fc.record({ type: fc.constant('doc-unavailable'), senderId: fc.constant('peer'), targetId: fc.constant('server'), documentId: fc.constantFrom(...ids) }),
  fc.record({ type: fc.constant('remote-heads-changed'), senderId: fc.constant('peer'), targetId: fc.constant('server'), documentId: fc.constantFrom(...ids), newHeads: fc.dictionary(fc.string(), fc.record({ heads, timestamp: fc.integer() })) }),
  fc.record({ type: fc.constant('remote-subscription-change'), senderId: fc.constant('peer'), targetId: fc.constant('server'), add: fc.array(fc.string()), remove: fc.array(fc.string()) }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }),
)

describe('the server reads frames with src/wire/cbor.ts exactly as it did with cbor-x', () => {
  it('for every message shape a stock client sends, byte strings tagged or not', () => {
    const decode = createFrameDecoder()
    fc.assert(
      fc.property(message, fc.boolean(), (value, tag) => {
        const frame = new Uint8Array((tag ? tagged : stock).encode(value))
        expect(outcome(decode, frame)).toEqual(outcome(oldServerDecode, frame))
        expect(outcome(decode, frame)).not.toHaveProperty('refused', expect.stringMatching(/Malformed CBOR/))
      }),
      { numRuns: 600 },
    )
  })

  it('and refuses the same hostile bytes: random frames, flipped and cut stock frames', () => {
    const base = new Uint8Array(stock.encode({ type: 'sync', senderId: 'peer', targetId: 'server', documentId: ids[0], data: new Uint8Array([1, 2, 3]) }))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(base.length - 1), fc.nat(255), fc.nat(base.length), (random, at, byte, cut) => {
        const flipped = base.slice()
        flipped[at] = byte
        for (const frame of [random, flipped, base.subarray(0, cut)]) expectSameOutcome(frame)
      }),
      { numRuns: 600 },
    )
  })

  it('refuses text that is not UTF-8 (a lone surrogate as cbor-x writes it), which cbor-x read as U+FFFD', () => {
    const frame = new Uint8Array(stock.encode({ type: 'sync', senderId: 'p\uD800', targetId: 'server', documentId: ids[0], data: new Uint8Array([1]) }))
    expect(() => createFrameDecoder()(frame)).toThrow(/Malformed CBOR frame: .*utf-8/i)
  })
})
