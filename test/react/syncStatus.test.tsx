import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { SyncStatusBadge } from '../../src/react/SyncStatusBadge.js'
import { UnsavedChangesGuard } from '../../src/react/UnsavedChangesGuard.js'
import type { RecordActions } from '../../src/react/useRecords.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncStatus } from '../../src/react/useSyncStatus.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { ALICE, newRoom, putMessage, testClient, watchUrl, withClient } from './helpers.js'

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

/** Fires the event a browser sends before leaving; true when a handler asked to stay. */
function leavingIsBlocked(): boolean {
  const event = new Event('beforeunload', { cancelable: true })
  window.dispatchEvent(event)
  return event.defaultPrevented
}

describe('saved state in the UI', () => {
  it('follows an optimistic write from pending to saved, failed and rolled back', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    client = testClient(server.url)
    let actions: RecordActions<Message> | undefined

    function Room() {
      const result = useRecords<Message>(url)
      actions = result
      const { pending, savedServer } = useSyncStatus()
      return (
        <>
          {/* Not <output>: its implicit role "status" would compete with the badge's. */}
          <div data-testid="records">
            {result.records.map((record) => `${record.value.text}:${record.optimistic ?? 'confirmed'}`).join(',')}
          </div>
          <div data-testid="summary">{`${pending} pending, ${savedServer ? 'saved' : 'unsaved'}`}</div>
        </>
      )
    }
    render(
      <>
        <Room />
        <SyncStatusBadge recordsUrl={url} />
        <UnsavedChangesGuard />
      </>,
      { wrapper: withClient(client) },
    )
    const badge = screen.getByRole('status')
    await waitFor(() => expect(badge.textContent).toContain('Live'))
    expect(badge.getAttribute('data-status')).toBe('live')
    expect(badge.getAttribute('aria-live')).toBe('polite')
    expect(badge.textContent).toContain('Saved to server')
    expect(leavingIsBlocked()).toBe(false)

    act(() => actions!.addOptimistic({ rkey: 'r1', did: ALICE, value: { text: 'hi' } }))
    expect(screen.getByTestId('records').textContent).toBe('hi:pending')
    expect(screen.getByTestId('summary').textContent).toBe('1 pending, unsaved')
    expect(badge.textContent).toContain('1 unsaved')
    expect(badge.getAttribute('data-saved')).toBe('pending')
    expect(leavingIsBlocked()).toBe(true)

    // The server confirms the write: the stream delivers it and settles the optimistic entry.
    await putMessage(server.url, room, 'hi', 'r1')
    await waitFor(() => expect(screen.getByTestId('records').textContent).toBe('hi:confirmed'))
    expect(screen.getByTestId('summary').textContent).toBe('0 pending, saved')
    expect(badge.textContent).toContain('Saved to server')
    expect(leavingIsBlocked()).toBe(false)

    act(() => actions!.addOptimistic({ rkey: 'r2', did: ALICE, value: { text: 'doomed' } }))
    act(() => actions!.markFailed('r2', new Error('HTTP 500')))
    expect(screen.getByTestId('records').textContent).toBe('doomed:failed,hi:confirmed')
    expect(badge.textContent).toContain('1 failed')
    expect(badge.getAttribute('data-saved')).toBe('failed')

    act(() => actions!.removeOptimistic('r2'))
    expect(screen.getByTestId('records').textContent).toBe('hi:confirmed')
    expect(badge.textContent).toContain('Saved to server')
  })

  it('shows an idle watch as idle and claims no saved state for it until it runs', async () => {
    const url = watchUrl(newRoom())
    client = testClient(server.url)
    function Reader() {
      useRecords<Message>(url)
      return null
    }
    // Nobody reads the watch yet: the badge observes it without opening it.
    const { rerender } = render(<SyncStatusBadge recordsUrl={url} />, { wrapper: withClient(client) })
    const badge = screen.getByRole('status')
    expect(badge.getAttribute('data-status')).toBe('idle')
    expect(badge.textContent).toBe('Idle')
    expect(badge.getAttribute('data-saved')).toBe(null)

    rerender(
      <>
        <Reader />
        <SyncStatusBadge recordsUrl={url} />
      </>,
    )
    await waitFor(() => expect(screen.getByRole('status').getAttribute('data-status')).toBe('live'))
    expect(screen.getByRole('status').textContent).toContain('Saved to server')
    expect(screen.getByRole('status').getAttribute('data-saved')).toBe('server')
  })

  it('keeps the action functions stable across renders', async () => {
    client = testClient(server.url)
    const seen: RecordActions<Message>[] = []
    function Room() {
      const { addOptimistic, markFailed, removeOptimistic, put, delete: remove, retry, discard, loadOlder, status } = useRecords<Message>(watchUrl(newRoomOnce()))
      seen.push({ addOptimistic, markFailed, removeOptimistic, put, delete: remove, retry, discard, loadOlder })
      return <output data-testid="status">{status}</output>
    }
    let room: string | undefined
    const newRoomOnce = () => (room ??= newRoom())
    render(<Room />, { wrapper: withClient(client) })
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(seen.length).toBeGreaterThan(1)
    for (const actions of seen) {
      expect(actions.addOptimistic).toBe(seen[0]!.addOptimistic)
      expect(actions.markFailed).toBe(seen[0]!.markFailed)
      expect(actions.loadOlder).toBe(seen[0]!.loadOlder)
      expect(actions.removeOptimistic).toBe(seen[0]!.removeOptimistic)
      for (const name of ['put', 'delete', 'retry', 'discard'] as const) expect(actions[name], name).toBe(seen[0]![name])
    }
  })
})
