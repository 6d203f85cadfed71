import { describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import { SyncError } from '../../src/core/errors.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'

const badWindows = [0, -5, Number.NaN]

describe('heartbeatMs', () => {
  it.each(badWindows)('refuses %s as bad-input on a record store and a document connection, before connecting', (heartbeatMs) => {
    const attempts = [
      () => createRecordStore({ url: 'http://127.0.0.1:1/xrpc/a.b.watchRecords?roomUri=r', heartbeatMs }),
      () => createDocConnection({ url: 'ws://127.0.0.1:1/', heartbeatMs }),
    ]
    for (const attempt of attempts) {
      let thrown: unknown
      try {
        attempt()
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(SyncError)
      expect((thrown as SyncError).code).toBe('bad-input')
      expect((thrown as SyncError).message).toContain('heartbeatMs')
    }
  })
})
