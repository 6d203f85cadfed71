import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { definedOptions } from '../../src/core/definedOptions.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

let server: SyncServer | null = null
let client: SyncClient | null = null

afterEach(async () => {
  await client?.close()
  client = null
  await server?.close()
  server = null
})

describe("SyncClient's fetch option", () => {
  it('is the fetch the document connection trades the token for a ticket with', async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: ({ token }) => (token === 'alice' ? { userId: 'did:example:alice' } : undefined) })
    await server.start()
    const asked: string[] = []
    client = createSyncClient({
      url: server.url.replace('http', 'ws'),
      token: 'alice',
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      fetch: (input, init) => {
        asked.push(String(input instanceof Request ? input.url : input))
        return globalThis.fetch(input, init)
      },
    })
    const doc = client.createDoc({ text: 'hello' }, automergeDocSupport)
    const release = client.retain(doc)
    await doc.whenSaved('server')
    release()
    expect(asked.some((url) => url.includes('realtime.ticket'))).toBe(true)
  })
})

describe('definedOptions', () => {
  it('drops undefined entries and keeps every other value, falsy ones included', () => {
    const options = definedOptions({ a: undefined, b: 0, c: false, d: null, e: '' })
    expect(options).toEqual({ b: 0, c: false, d: null, e: '' })
    expect('a' in options).toBe(false)
  })
})
