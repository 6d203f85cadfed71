// @vitest-environment node
import { StrictMode } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { SyncStatusBadge } from '../../src/react/SyncStatusBadge.js'
import { UnsavedChangesGuard } from '../../src/react/UnsavedChangesGuard.js'
import { useConnectionStatus } from '../../src/react/useConnectionStatus.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncStatus } from '../../src/react/useSyncStatus.js'
import type { Message } from '../support/records.js'

// A relative URL and no recordsBaseUrl: on a server there is no location to resolve it against.
const URL = '/xrpc/com.example.message.watchRecords?roomUri=room1'

function Messages({ suspense = false }: { suspense?: boolean }) {
  const { records, status, error } = useRecords<Message>(URL, { suspense })
  const connection = useConnectionStatus(URL)
  const { pending } = useSyncStatus()
  return <p>{`${status}/${connection}/${String(error)}/${records.length} records/${pending} pending`}</p>
}

afterEach(() => vi.restoreAllMocks())

describe('server rendering', () => {
  it('renders the idle, empty state without touching the network', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    expect(typeof window).toBe('undefined')
    const html = renderToString(
      <StrictMode>
        <SyncProvider>
          <Messages />
          <Messages suspense />
          <SyncStatusBadge />
          <UnsavedChangesGuard />
        </SyncProvider>
      </StrictMode>,
    )
    expect(html).toContain('idle/idle/null/0 records/0 pending')
    expect(html).toContain('role="status"')
    expect(html).toContain('data-status="idle"')
    expect(html).toContain('Idle')
    expect(html).toContain('Saved to server')
    expect(fetchSpy).not.toHaveBeenCalled()
  })
})
