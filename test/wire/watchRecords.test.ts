import { describe, expect, it } from 'vitest'
import { compareNewestFirst as clientCompare } from '../../src/core/records/recordKey.js'
import { compareNewestFirst as serverCompare } from '../../src/server/records/recordIds.js'
import { collectionFromWatchUrl, compareNewestFirst, isValidRkey, isWatchFrameKind, splitXrpcMethod, WATCH_FRAME_KINDS } from '../../src/wire/watchRecords.js'
import { checkRkey } from '../../src/core/records/recordKey.js'
import { requireRkey } from '../../src/server/records/validation.js'

describe('watchRecords facts (src/wire)', () => {
  it('know every frame kind of DESIGN §6 and nothing else', () => {
    for (const kind of ['snapshot.start', 'snapshot.record', 'snapshot.end', 'record.created', 'record.deleted', 'member.removed', 'error']) {
      expect(isWatchFrameKind(kind), kind).toBe(true)
    }
    expect(WATCH_FRAME_KINDS).toContain('keepalive')
    for (const kind of ['record.updated', 'Snapshot.start', '', 7, undefined, '__proto__']) expect(isWatchFrameKind(kind)).toBe(false)
  })

  it('read the collection of a watchRecords URL, one grammar for every caller', () => {
    expect(collectionFromWatchUrl('http://h/xrpc/com.example.message.watchRecords?roomUri=r')).toBe('com.example.message')
    expect(collectionFromWatchUrl('https://h/api/v1/xrpc/com.example.message.watchRecords')).toBe('com.example.message')
    expect(collectionFromWatchUrl('/xrpc/com.example.message.watchRecords?x=1', 'http://h')).toBe('com.example.message')
    expect(collectionFromWatchUrl(new URL('http://h/xrpc/a.b.c.watchRecords'))).toBe('a.b.c')
    for (const url of ['http://h/xrpc/.watchRecords', 'http://h/xrpc/watchRecords', 'http://h/xrpc/com.example.message.listRecords', 'http://h/stream', 'not a url']) {
      expect(collectionFromWatchUrl(url), url).toBeUndefined()
    }
  })

  it('split xrpc methods at the last dot, as the server routes them', () => {
    expect(splitXrpcMethod('com.example.message.watchRecords')).toEqual({ collection: 'com.example.message', name: 'watchRecords' })
    expect(splitXrpcMethod('realtime.ticket')).toEqual({ collection: 'realtime', name: 'ticket' })
    expect(splitXrpcMethod('nodot')).toEqual({ collection: '', name: 'nodot' })
  })

  it('order newest first, then rkey, then did, the same on both sides (drift: the client tied on did)', () => {
    const a = { time_us: 5, rkey: 'k', did: 'did:plc:alice' }
    const b = { time_us: 5, rkey: 'k', did: 'did:plc:bob' }
    const older = { time_us: 1, rkey: 'z', did: 'did:plc:zed' }
    const laterKey = { time_us: 5, rkey: 'l', did: 'did:plc:alice' }
    const expected = [laterKey, b, a, older]
    for (const compare of [compareNewestFirst, clientCompare, serverCompare]) {
      expect([a, older, b, laterKey].sort(compare)).toEqual(expected)
      expect([older, laterKey, a, b].sort(compare)).toEqual(expected)
      expect(compare(a, b)).toBeGreaterThan(0)
      expect(compare(a, { ...a })).toBe(0)
    }
    // A record without time_us (an optimistic one) counts as time 0.
    expect(compareNewestFirst({ rkey: 'a', did: 'd' }, older)).toBeGreaterThan(0)
  })

  it('have one record key grammar, which the client and the server both apply', () => {
    for (const rkey of ['3kabc2', 'self', 'a.b_c:d~e-f', 'x'.repeat(512)]) {
      expect(isValidRkey(rkey), rkey).toBe(true)
      expect(() => checkRkey(rkey)).not.toThrow()
      expect(requireRkey(rkey)).toBe(rkey)
    }
    for (const rkey of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(513), 7, null]) {
      expect(isValidRkey(rkey), String(rkey)).toBe(false)
      expect(() => checkRkey(rkey as string)).toThrow(expect.objectContaining({ code: 'bad-input' }))
      expect(() => requireRkey(rkey)).toThrow(expect.objectContaining({ status: 400 }))
    }
  })
})
