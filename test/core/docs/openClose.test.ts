import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../../src/core/cache/memoryCache.js'
import { asAutomergeUrl, closeAll, connect, repoClient, startRepoServer, until, untilHandle } from './helpers.js'

afterEach(closeAll)

interface Notes {
  notes: string[]
}

// DocConnection.open() of an open document returns the same store; its StoreRegistry counts
// the opens, and only the last close() closes the store.
describe('open() and close() of one document by two callers', () => {
  it('the first close() leaves the store syncing for the other caller; the last closes it; open() then makes a new store', async () => {
    const server = await startRepoServer()
    const cache = createMemoryCache()
    const connection = connect(server.url, { cache })
    const created = connection.create<Notes>({ notes: ['one'] })
    const second = connection.open<Notes>(created.url)
    expect(second).toBe(created)
    await created.whenSaved('server')

    created.close()
    // Still open for the second caller: it changes, and the change reaches the server.
    second.change((doc) => void doc.notes.push('after one close'))
    await second.whenSaved('server')
    const reader = repoClient(server.url)
    const handle = await reader.find<Notes>(asAutomergeUrl(created.url))
    await untilHandle(handle, (doc) => doc.notes.length === 2)

    // The second caller's close() is the last: the store closes at once.
    second.close()
    expect(() => second.change(() => {})).toThrow(expect.objectContaining({ code: 'bad-input' }))
    await expect(second.whenSaved('server')).resolves.toBeUndefined()
    // Closing a closed store again does nothing (and does not close a later store of the document).
    const reopened = connection.open<Notes>(created.url)
    expect(reopened).not.toBe(created)
    created.close()
    await until(() => reopened.getSnapshot().doc?.notes.length === 2, 'the reopened store with both notes')
    reopened.change((doc) => void doc.notes.push('reopened'))
    await reopened.whenSaved('server')
    await untilHandle(handle, (doc) => doc.notes.length === 3)
  })
})
