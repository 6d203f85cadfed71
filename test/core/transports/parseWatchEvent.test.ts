import { describe, expect, it } from 'vitest'
import { SyncError } from '../../../src/core/errors.js'
import { parseWatchEvent } from '../../../src/core/records/parseWatchEvent.js'
import { collectionFromWatchUrl } from '../../../src/wire/watchRecords.js'
import { COLLECTION, record } from './helpers.js'

const protocol = (result: unknown): string => {
  expect(result).toBeInstanceOf(SyncError)
  expect((result as SyncError).code).toBe('protocol')
  return (result as SyncError).message
}

describe('parseWatchEvent', () => {
  it('accepts every kind of DESIGN §6, from JSON text or a parsed value', () => {
    const full = record('r1', 'hi')
    expect(parseWatchEvent('snapshot.start', '{"collection":"c"}')).toEqual({ kind: 'snapshot.start', data: { collection: 'c' } })
    expect(parseWatchEvent('snapshot.record', JSON.stringify({ record: full }))).toEqual({ kind: 'snapshot.record', data: { record: full } })
    expect(parseWatchEvent('snapshot.end', { cursor: null })).toEqual({ kind: 'snapshot.end', data: { cursor: null } })
    expect(parseWatchEvent('record.created', { record: full })).toEqual({ kind: 'record.created', data: { record: full } })
    expect(parseWatchEvent('record.deleted', { uri: full.uri, did: full.did, rkey: 'r1' })).toEqual({
      kind: 'record.deleted',
      data: { uri: full.uri, did: full.did, rkey: 'r1' },
    })
    expect(parseWatchEvent('member.removed', { space: 's', did: 'd' })).toEqual({ kind: 'member.removed', data: { space: 's', did: 'd' } })
    expect(parseWatchEvent('error', { message: 'boom' })).toEqual({ kind: 'error', data: { message: 'boom' } })
  })

  it('returns a complete record as is, without copying', () => {
    const full = record('r1', 'hi')
    const parsed = parseWatchEvent('record.created', { record: full })
    expect(parsed).not.toBeInstanceOf(SyncError)
    expect((parsed as { data: { record: unknown } }).data.record).toBe(full)
  })

  it('fills did, rkey and collection in from an at:// uri', () => {
    const parsed = parseWatchEvent('record.created', { record: { uri: `at://did:plc:x/${COLLECTION}/abc`, value: {} } })
    expect(parsed).toMatchObject({ data: { record: { uri: `at://did:plc:x/${COLLECTION}/abc`, did: 'did:plc:x', rkey: 'abc', collection: COLLECTION } } })
  })

  it('builds the uri from did, rkey and the known collection', () => {
    const parsed = parseWatchEvent('snapshot.record', { record: { did: 'did:plc:x', rkey: 'abc', value: {} } }, { collection: COLLECTION })
    expect(parsed).toMatchObject({ data: { record: { uri: `at://did:plc:x/${COLLECTION}/abc`, collection: COLLECTION } } })
    const deleted = parseWatchEvent('record.deleted', { did: 'did:plc:x', rkey: 'abc' }, { collection: COLLECTION })
    expect(deleted).toEqual({ kind: 'record.deleted', data: { uri: `at://did:plc:x/${COLLECTION}/abc`, did: 'did:plc:x', rkey: 'abc' } })
  })

  it("prefers the record's own collection over the endpoint's", () => {
    const parsed = parseWatchEvent('record.created', { record: { did: 'd', rkey: 'k', collection: 'other.thing', value: {} } }, { collection: COLLECTION })
    expect(parsed).toMatchObject({ data: { record: { uri: 'at://d/other.thing/k' } } })
  })

  it('deletes by did and rkey alone when no collection is known', () => {
    expect(parseWatchEvent('record.deleted', { did: 'd', rkey: 'k' })).toEqual({ kind: 'record.deleted', data: { did: 'd', rkey: 'k' } })
    expect(parseWatchEvent('record.deleted', { uri: 'at://d/c/k' })).toEqual({ kind: 'record.deleted', data: { uri: 'at://d/c/k', did: 'd', rkey: 'k' } })
  })

  it.each([
    ['malformed JSON', 'record.created', '{"record": {oops', /Malformed JSON/],
    ['an unknown kind', 'record.exploded', '{}', /Unknown watchRecords event kind "record.exploded"/],
    ['data that is not an object', 'snapshot.start', '[1,2]', /not a JSON object/],
    ['null data', 'snapshot.end', 'null', /not a JSON object/],
    ['a frame without a record', 'record.created', '{"rec":{}}', /no "record" object/],
    ['a record without uri or did/rkey', 'record.created', JSON.stringify({ record: { value: { text: 'x' }, time_us: 5 } }), /neither a "uri" nor both "did" and "rkey"/],
    ['a record with did but no rkey', 'snapshot.record', JSON.stringify({ record: { did: 'd', value: {} } }), /neither/],
    ['a record without a value', 'record.created', JSON.stringify({ record: { uri: 'at://d/c/k' } }), /no "value"/],
    ['a uri that is not a string', 'record.created', JSON.stringify({ record: { uri: 5, did: 'd', rkey: 'k', value: {} } }), /"uri" that is not/],
    ['a bare uri that cannot be split', 'record.created', JSON.stringify({ record: { uri: 'https://x/y', value: {} } }), /is not at:\/\/did\/collection\/rkey/],
    ['a delete without keys', 'record.deleted', '{}', /record.deleted/],
    ['a cursor that is not a string', 'snapshot.end', '{"cursor":5}', /cursor/],
  ])('rejects %s with a protocol error', (_name, kind, data, message) => {
    expect(protocol(parseWatchEvent(kind, data))).toMatch(message)
  })

  // The shapes contrail's runQueryStream sends (router/collection.ts at fa3d4cd), and odd ones:
  // syncline does not hydrate, so neither kind is an error, whatever it carries.
  it.each([
    ['hydration.added', { parentUri: 'at://d/c/p', relation: 'comments', child: { uri: 'at://d/com.example.comment/k', did: 'd', rkey: 'k', value: { text: 'hi' } } }],
    ['hydration.added', JSON.stringify({ parentUri: 'at://d/c/p', relation: 'comments', child: { rkey: 'k' } })],
    ['hydration.removed', { parentUri: 'at://d/c/p', relation: 'comments', childRkey: 'k', childDid: 'd' }],
    ['hydration.removed', 'not json at all'],
  ])('skips %s (contrail hydration) quietly: null, not a protocol error', (kind, data) => {
    expect(parseWatchEvent(kind, data)).toBeNull()
  })

  it('never throws, whatever it is given', () => {
    for (const data of [undefined, null, 0, '', 'x', '"str"', [], () => {}, Symbol('s'), { record: null }, { record: [] }]) {
      expect(() => parseWatchEvent('record.created', data)).not.toThrow()
    }
  })

  it('keeps error messages short when the garbage is long', () => {
    expect(protocol(parseWatchEvent('record.created', `{${'x'.repeat(100_000)}`)).length).toBeLessThan(300)
  })
})

describe('collectionFromWatchUrl', () => {
  it('reads the NSID before .watchRecords', () => {
    expect(collectionFromWatchUrl(`http://h/xrpc/${COLLECTION}.watchRecords?roomUri=x`)).toBe(COLLECTION)
    expect(collectionFromWatchUrl('http://h/somewhere/else')).toBeUndefined()
    expect(collectionFromWatchUrl('not a url')).toBeUndefined()
  })
})
