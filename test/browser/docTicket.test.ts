import { afterEach, describe, expect, inject, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../src/core/docs/types.js'

const docsUrl = inject('serverUrl').replace(/^http/, 'ws') + '/'

let connection: DocConnection | null = null
afterEach(async () => {
  await connection?.close()
  connection = null
})

describe('the documents ticket in Chromium', () => {
  it("is requested with the page's own fetch when none is passed (Chromium's fetch refuses to be called unbound)", async () => {
    const ticketRequests = () => performance.getEntriesByType('resource').filter((entry) => entry.name.includes('realtime.ticket')).length
    const before = ticketRequests()
    connection = createDocConnection({ url: docsUrl, token: 'a-browser-token', reconnect: false })
    connection.start()
    // An unbound fetch rejects before any request, and the token silently goes in the URL instead.
    await expect.poll(ticketRequests, { timeout: 15_000 }).toBe(before + 1)
  })
})
