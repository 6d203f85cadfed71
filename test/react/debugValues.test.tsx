import { cleanup, render, screen } from '@testing-library/react'
import type * as ReactModule from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { useConnectionStatus } from '../../src/react/useConnectionStatus.js'
import { useOnline } from '../../src/react/useOnline.js'
import { useRecord } from '../../src/react/useRecord.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncClient } from '../../src/react/useSyncClient.js'
import { useSyncStatus } from '../../src/react/useSyncStatus.js'
import { useUnsavedChangesGuard } from '../../src/react/useUnsavedChangesGuard.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { newRoom, putMessage, testClient, watchUrl, withClient } from './helpers.js'

// What DevTools would display: the formatter applied to the value, as DevTools does.
const debugValues = vi.hoisted(() => ({ shown: [] as string[], formatted: 0 }))
vi.mock('react', async (importOriginal) => {
  const react = await importOriginal<typeof ReactModule>()
  return {
    ...react,
    // Named even where it is undefined (React 17): Vitest's mock throws on reading a key it
    // does not hold, and syncExternalStore.ts reads this one to choose its fallback.
    useSyncExternalStore: react.useSyncExternalStore,
    useDebugValue: (value: unknown, format?: (value: never) => unknown) => {
      if (format !== undefined) debugValues.formatted++
      debugValues.shown.push(String(format === undefined ? value : format(value as never)))
    },
  }
})

let server: SyncServer
let client: SyncClient
beforeEach(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterEach(async () => {
  cleanup()
  await client.close()
  await server.close()
})

describe('what React DevTools shows beside each hook', () => {
  it('is the status and the saved state of each hook (the formatter applied, as DevTools does)', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'hi', 'r1')
    client = testClient(server.url)
    function Inspected() {
      const { status } = useRecords<Message>(url)
      useRecord<Message>(url, 'r1')
      useConnectionStatus(url)
      useSyncStatus()
      useOnline()
      useUnsavedChangesGuard()
      useSyncClient()
      return <p data-testid="status">{status}</p>
    }
    render(<Inspected />, { wrapper: withClient(client) })
    await screen.findByText('live', {}, { timeout: 8000 })
    // One render's values, in hook order (useUnsavedChangesGuard reads useSyncStatus first).
    expect(debugValues.shown.slice(-8)).toEqual([
      'live, saved to server',
      'saved to server',
      'live',
      '0 pending, saved to server',
      'online',
      '0 pending, saved to server',
      'all saved',
      'live',
    ])
    expect(debugValues.formatted).toBeGreaterThan(0)
  })
})
