import { describe, expect, it } from 'vitest'
import { collectionFromWatchUrl } from '../../src/wire/watchRecords.js'
import { SyncError } from '../../src/core/errors.js'
import { watchRecordsUrl } from '../../src/core/records/watchRecordsUrl.js'
import { listRecordsUrl } from '../../src/core/records/listRecordsPage.js'

describe('watchRecordsUrl', () => {
  it('encodes the room and every other parameter, so none can leak into the query', () => {
    const url = watchRecordsUrl('com.example.message', { roomUri: 'at://did:plc:x/room/a b&c=d#e', since: '2024' })
    expect(url).toBe('/xrpc/com.example.message.watchRecords?roomUri=at%3A%2F%2Fdid%3Aplc%3Ax%2Froom%2Fa%20b%26c%3Dd%23e&since=2024')
    const parsed = new URL(url, 'http://localhost')
    expect(parsed.searchParams.get('roomUri')).toBe('at://did:plc:x/room/a b&c=d#e')
    expect([...parsed.searchParams.keys()]).toEqual(['roomUri', 'since'])
    expect(collectionFromWatchUrl(url, 'http://localhost')).toBe('com.example.message')
  })

  it.each(['message', 'com.example', 'com..example.message', 'com.example.message/../x', 'com.example.message?roomUri=x', '', `com.example.${'a'.repeat(320)}`])(
    'refuses %j as a collection with a bad-input SyncError',
    (collection) => {
      let thrown: unknown
      try {
        watchRecordsUrl(collection, { roomUri: 'room' })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(SyncError)
      expect((thrown as SyncError).code).toBe('bad-input')
    },
  )

  it('refuses an empty room', () => {
    expect(() => watchRecordsUrl('com.example.message', { roomUri: '' })).toThrow(expect.objectContaining({ code: 'bad-input' }))
    expect(() => watchRecordsUrl('com.example.message', { spaceUri: '' })).toThrow(expect.objectContaining({ code: 'bad-input' }))
  })

  it("names the room contrail's way when given spaceUri", () => {
    expect(watchRecordsUrl('com.example.message', { spaceUri: 'at://did:plc:x/space/1', limit: '20' })).toBe(
      '/xrpc/com.example.message.watchRecords?spaceUri=at%3A%2F%2Fdid%3Aplc%3Ax%2Fspace%2F1&limit=20',
    )
  })
})

describe('listRecordsUrl', () => {
  it('keeps the watch path prefix and query, and replaces the watch-only parameters', () => {
    const url = listRecordsUrl('https://api.example.com/proxy/xrpc/com.example.message.watchRecords?roomUri=r%201&mode=ws&ticket=old&limit=5&filter=x', {
      collection: 'com.example.message',
      cursor: 'c/1',
      limit: 20,
      ticket: 'fresh',
    })
    const parsed = new URL(url)
    expect(parsed.pathname).toBe('/proxy/xrpc/com.example.message.listRecords')
    expect(Object.fromEntries(parsed.searchParams)).toEqual({ roomUri: 'r 1', filter: 'x', cursor: 'c/1', limit: '20', ticket: 'fresh' })
  })
})
