// @vitest-environment node
import { StrictMode } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { SyncStatusBadge } from '../../src/react/SyncStatusBadge.js'
import { UnsavedChangesGuard } from '../../src/react/UnsavedChangesGuard.js'
import { useConnectionStatus } from '../../src/react/useConnectionStatus.js'
import { useDoc } from '../../src/react/useDoc.js'
import { usePresence } from '../../src/react/usePresence.js'
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

function Note({ suspense = false }: { suspense?: boolean }) {
  const [doc, , info] = useDoc<{ text: string }>('automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ', { suspense })
  const others = usePresence('automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ', { name: 'me' })
  return <p>{`doc ${String(doc)}/${info.status}/${info.docStatus}/${others.length} others`}</p>
}

afterEach(() => vi.restoreAllMocks())

describe('server rendering', () => {
  it('renders the idle, empty state without touching the network', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    expect(typeof window).toBe('undefined')
    const html = renderToString(
      <StrictMode>
        <SyncProvider url="ws://127.0.0.1:1/">
          <Messages />
          <Messages suspense />
          <Note />
          <Note suspense />
          <SyncStatusBadge />
          <UnsavedChangesGuard />
        </SyncProvider>
      </StrictMode>,
    )
    expect(html).toContain('idle/idle/null/0 records/0 pending')
    expect(html.match(/doc undefined\/idle\/loading\/0 others/g)).toHaveLength(2)
    expect(html).toContain('role="status"')
    expect(html).toContain('data-status="idle"')
    expect(html).toContain('Idle')
    expect(fetchSpy).not.toHaveBeenCalled()
  })

  it('renders a badge that claims nothing it cannot know: no saved state before anything loaded', () => {
    const html = renderToString(
      <SyncProvider url="ws://127.0.0.1:1/">
        <SyncStatusBadge />
        <SyncStatusBadge recordsUrl={URL} />
      </SyncProvider>,
    )
    expect(html.match(/data-status="idle"/g)).toHaveLength(2)
    expect(html.match(/>Idle</g)).toHaveLength(2)
    expect(html).not.toContain('data-saved')
    for (const label of ['Saved to server', 'Saved locally', 'unsaved', 'Live', 'Offline']) expect(html).not.toContain(label)
  })

  it('throws SyncError bad-input for a malformed document id, as the browser does', () => {
    function Broken() {
      useDoc('automerge:typo')
      return null
    }
    expect(() => renderToString(<SyncProvider url="ws://127.0.0.1:1/"><Broken /></SyncProvider>)).toThrow(/"automerge:typo" is not an automerge document id/)
  })
})
