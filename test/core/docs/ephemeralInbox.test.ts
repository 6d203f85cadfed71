import { Encoder } from 'cbor-x'
import { describe, expect, it } from 'vitest'
import type { EphemeralEnvelope } from '../../../src/core/docs/ephemeral.js'
import { decodeCbor, encodeCbor } from '../../../src/wire/cbor.js'
import { checkEphemeral, DEFAULT_MAX_EPHEMERAL_SOURCES, EphemeralInbox } from '../../../src/core/docs/ephemeral.js'
import type { SyncError } from '../../../src/core/errors.js'

const cbor = new Encoder({ tagUint8Array: false, useRecords: false })

function inbox(maxSources?: number) {
  const problems: SyncError[] = []
  const ignored: unknown[] = []
  const received: Array<{ message: unknown; sessionId: string; count: number }> = []
  const box = new EphemeralInbox({ ownPeerId: 'me', label: 'automerge:doc', maxSources, problem: (e) => problems.push(e), ignored: (e) => ignored.push(e) })
  box.listen((message, meta) => received.push({ message, sessionId: meta.sessionId, count: meta.count }))
  return { box, problems, ignored, received }
}

const envelope = (sessionId: string, count: number, message: unknown = { count }, senderId = 'peer'): EphemeralEnvelope => ({
  senderId,
  sessionId,
  count,
  data: cbor.encode(message),
})

describe('EphemeralInbox', () => {
  it('decodes and delivers, dropping duplicates, stale counts and our own echoes', () => {
    const { box, received } = inbox()
    box.receive(envelope('s1', 1), decodeCbor)
    box.receive(envelope('s1', 1), decodeCbor)
    box.receive(envelope('s1', 3), decodeCbor)
    box.receive(envelope('s1', 2), decodeCbor)
    box.receive(envelope('s1', 4, { own: true }, 'me'), decodeCbor)
    expect(received).toEqual([
      { message: { count: 1 }, sessionId: 's1', count: 1 },
      { message: { count: 3 }, sessionId: 's1', count: 3 },
    ])
  })

  it(`remembers at most maxSources peer sessions (default ${DEFAULT_MAX_EPHEMERAL_SOURCES}), forgetting the least recently heard`, () => {
    const { box, received } = inbox(2)
    box.receive(envelope('a', 1), decodeCbor)
    box.receive(envelope('b', 1), decodeCbor)
    box.receive(envelope('a', 2), decodeCbor)
    box.receive(envelope('c', 1), decodeCbor)
    expect(box.trackedSources).toBe(2)
    // 'b' was forgotten, 'a' (heard from more recently) still drops its duplicate.
    box.receive(envelope('a', 2), decodeCbor)
    expect(received.map(({ sessionId, count }) => `${sessionId}${count}`)).toEqual(['a1', 'b1', 'a2', 'c1'])
    expect(inbox().box.trackedSources).toBe(0)
  })

  it('a thousand departed sessions leave the default bound, not a thousand entries', () => {
    const { box } = inbox()
    for (let session = 0; session < 1000; session++) box.receive(envelope(`s${session}`, 1), decodeCbor)
    expect(box.trackedSources).toBe(DEFAULT_MAX_EPHEMERAL_SOURCES)
  })

  it("reports data that is not CBOR as a 'protocol' problem and a throwing listener as ignored, delivering to the rest", () => {
    const { box, problems, ignored, received } = inbox()
    box.receive({ senderId: 'peer', sessionId: 's', count: 1, data: new Uint8Array([0xff, 0xff]) }, decodeCbor)
    expect(problems.map((error) => error.code)).toEqual(['protocol'])
    box.listen(() => {
      throw new Error('listener bug')
    })
    box.receive(envelope('s', 2), decodeCbor)
    expect(ignored).toHaveLength(1)
    expect(received).toHaveLength(1)
  })
})

describe('checkEphemeral', () => {
  it('accepts what travels unchanged (which the session encodes byte for byte as cbor-x does)', () => {
    const message = { cursor: [1, 2], user: 'ada', bytes: new Uint8Array([1]), none: null, gone: undefined, yes: true, n: -1.5 }
    expect(() => checkEphemeral(message, 'automerge:doc')).not.toThrow()
    expect(encodeCbor(message)).toEqual(new Uint8Array(cbor.encode(message)))
  })

  it.each([
    ['Map', new Map([['a', 1]])],
    ['Set', new Set([1])],
    ['Date', new Date(0)],
    ['nested Date', { at: new Date(0) }],
    ['Map in an array', [1, new Map()]],
    ['function', () => {}],
    ['symbol', Symbol('s')],
    ['bigint', 1n],
  ])("refuses a %s with SyncError 'bad-input' instead of sending {}, as the encoder refuses it", (_name, value) => {
    expect(() => checkEphemeral(value, 'automerge:doc')).toThrow(expect.objectContaining({ name: 'SyncError', code: 'bad-input' }))
    expect(() => encodeCbor(value)).toThrow(TypeError)
  })
})
