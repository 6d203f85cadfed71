import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { SyncStatusBadge } from '../../src/react/SyncStatusBadge.js'
import { UnsavedChangesGuard } from '../../src/react/UnsavedChangesGuard.js'
import type { UseRecordsResult } from '../../src/react/useRecords.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncStatus } from '../../src/react/useSyncStatus.js'
import type { AuthorizeRequest, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { COLLECTION, newRoom, testClient, watchUrl, withClient } from './helpers.js'

let server: SyncServer
let client: SyncClient

afterEach(async () => {
  cleanup()
  await client.close()
  await server.close()
})

function leavingIsBlocked(): boolean {
  const event = new Event('beforeunload', { cancelable: true })
  window.dispatchEvent(event)
  return event.defaultPrevented
}

describe('useRecords writes', () => {
  it('puts and deletes through the outbox, counted by useSyncStatus, the badge and the guard; refusals show as failed until discarded', async () => {
    let writesAllowed = true
    server = createSyncServer({ port: 0, storage: memoryStorage(), authorize: ({ access }: AuthorizeRequest) => access === 'read' || writesAllowed })
    await server.start()
    const room = newRoom()
    const url = watchUrl(room)
    client = testClient(server.url)
    let hook: UseRecordsResult<Message> | undefined

    function Room() {
      hook = useRecords<Message>(url)
      const { pending } = useSyncStatus()
      return (
        <>
          <div data-testid="records">{hook.records.map((r) => `${r.value.text}:${r.optimistic ?? 'confirmed'}`).join(',')}</div>
          <div data-testid="saved">{`${pending} pending, server ${String(hook.saved.server)}`}</div>
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

    let written: Promise<unknown> | undefined
    act(() => {
      written = hook!.put({ text: 'hi' }, { rkey: 'm1' })
    })
    expect(screen.getByTestId('records').textContent).toBe('hi:pending')
    expect(screen.getByTestId('saved').textContent).toBe('1 pending, server false')
    expect(badge.getAttribute('data-saved')).toBe('pending')
    expect(leavingIsBlocked()).toBe(true)

    await act(async () => {
      await written
    })
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('0 pending, server true'))
    expect(screen.getByTestId('records').textContent).toBe('hi:confirmed')
    expect(badge.textContent).toContain('Saved to server')
    expect(leavingIsBlocked()).toBe(false)

    writesAllowed = false
    act(() => {
      void hook!.put({ text: 'refused' }, { rkey: 'm2' })
    })
    await waitFor(() => expect(screen.getByTestId('records').textContent).toBe('refused:failed,hi:confirmed'))
    expect(badge.getAttribute('data-saved')).toBe('failed')
    expect(hook!.records.find((r) => r.rkey === 'm2')?.optimisticError).toMatchObject({ code: 'forbidden' })
    act(() => hook!.discard('m2'))
    expect(screen.getByTestId('records').textContent).toBe('hi:confirmed')
    expect(screen.getByTestId('saved').textContent).toBe('0 pending, server true')

    writesAllowed = true
    act(() => {
      void hook!.delete('m1')
    })
    expect(screen.getByTestId('records').textContent).toBe('')
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('0 pending, server true'))
    const listed = await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}`)
    expect(((await listed.json()) as { records: unknown[] }).records).toEqual([])
  })
})
