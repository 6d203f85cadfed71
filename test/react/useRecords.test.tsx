import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { StrictMode, Suspense, useEffect } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { useConnectionStatus } from '../../src/react/useConnectionStatus.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncClient } from '../../src/react/useSyncClient.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { countingFetch, deleteMessage, newRoom, putMessage, testClient, textsOf, watchUrl, withClient } from './helpers.js'

let server: SyncServer
let client: SyncClient | null = null

beforeEach(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterEach(async () => {
  cleanup()
  await client?.close()
  client = null
  await server.close()
  vi.restoreAllMocks()
})

function Messages({ url, suspense = false }: { url: string; suspense?: boolean }) {
  const { records, status } = useRecords<Message>(url, { suspense })
  return (
    <div>
      <output data-testid="status">{status}</output>
      <output data-testid="texts">{textsOf(records)}</output>
    </div>
  )
}

describe('useRecords against the reference server', () => {
  it('renders the snapshot, then live creates, overwrites and deletes', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    const first = await putMessage(server.url, room, 'one')
    await putMessage(server.url, room, 'two')
    client = testClient(server.url)

    function Status() {
      const watch = useConnectionStatus(url)
      const overall = useConnectionStatus()
      return <output data-testid="connection">{`${watch}/${overall}`}</output>
    }
    render(
      <>
        <Messages url={url} />
        <Status />
      </>,
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(screen.getByTestId('texts').textContent).toBe('two,one')
    expect(screen.getByTestId('connection').textContent).toBe('live/live')

    await putMessage(server.url, room, 'three')
    await waitFor(() => expect(screen.getByTestId('texts').textContent).toBe('three,two,one'))
    await putMessage(server.url, room, 'one, edited', first.rkey)
    await waitFor(() => expect(screen.getByTestId('texts').textContent).toContain('one, edited'))
    await deleteMessage(server.url, room, first.rkey)
    await waitFor(() => expect(screen.getByTestId('texts').textContent).toBe('three,two'))
  })

  it('re-renders a one-record selector only when that record changes', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    const a = await putMessage(server.url, room, 'a')
    const b = await putMessage(server.url, room, 'b')
    client = testClient(server.url)
    const renders = { list: 0, rowA: 0, rowB: 0 }

    function List() {
      // eslint-disable-next-line react-hooks/immutability -- counting renders is what this test is about
      renders.list++
      return <output data-testid="list">{textsOf(useRecords<Message>(url).records)}</output>
    }
    function Row({ rkey, name }: { rkey: string; name: 'rowA' | 'rowB' }) {
      // eslint-disable-next-line react-hooks/immutability -- counting renders is what this test is about
      renders[name]++
      // An inline selector, as people write them: a new function on every render.
      const { records: record } = useRecords<Message, WatchRecord<Message> | undefined>(url, {
        selector: (records) => records.find((candidate) => candidate.rkey === rkey),
      })
      return <output data-testid={name}>{record?.value.text ?? '-'}</output>
    }
    render(
      <>
        <List />
        <Row rkey={a.rkey} name="rowA" />
        <Row rkey={b.rkey} name="rowB" />
      </>,
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(screen.getByTestId('list').textContent).toBe('b,a'))
    await waitFor(() => expect(client!.getConnectionStatus()).toBe('live'))
    // Status changes (connecting → snapshot → live) re-render every subscriber; count from here.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = { ...renders }

    await putMessage(server.url, room, 'b, edited', b.rkey)
    await waitFor(() => expect(screen.getByTestId('rowB').textContent).toBe('b, edited'))
    await putMessage(server.url, room, 'c')
    await waitFor(() => expect(screen.getByTestId('list').textContent).toBe('c,b, edited,a'))

    expect(renders.rowA).toBe(before.rowA)
    expect(renders.rowB).toBe(before.rowB + 1)
    expect(renders.list).toBeGreaterThanOrEqual(before.list + 2)
  })

  it('shares one stream between every useRecords of the same URL', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'hello')
    const counter = countingFetch()
    client = testClient(server.url, counter.fetch)
    render(
      <>
        <Messages url={url} />
        <Messages url={url} />
        <Messages url={url} />
      </>,
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(screen.getAllByTestId('status').map((node) => node.textContent)).toEqual(['live', 'live', 'live']))
    expect(screen.getAllByTestId('texts').map((node) => node.textContent)).toEqual(['hello', 'hello', 'hello'])
    expect(counter.watchRequests()).toBe(1)
  })

  it('opens exactly one stream under StrictMode, with the provider’s own client', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'strict')
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    function Probe() {
      // Lets afterEach close the client the provider made.
      const providerClient = useSyncClient()
      useEffect(() => {
        client = providerClient
      })
      return null
    }
    render(
      <StrictMode>
        <SyncProvider recordsBaseUrl={server.url}>
          <Probe />
          <Messages url={url} />
          <Messages url={url} />
        </SyncProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getAllByTestId('status').map((node) => node.textContent)).toEqual(['live', 'live']))
    expect(screen.getAllByTestId('texts')[0]!.textContent).toBe('strict')
    const watchCalls = () => fetchSpy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).includes('.watchRecords'))
    expect(watchCalls()).toHaveLength(1)
    // The stream outlives StrictMode's unmount/remount and stays single.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(watchCalls()).toHaveLength(1)
  })

  it('suspends until the first records arrive, then renders them', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'after the fallback')
    const counter = countingFetch()
    client = testClient(server.url, counter.fetch)
    render(
      <Suspense fallback={<p>Loading messages…</p>}>
        <Messages url={url} suspense />
      </Suspense>,
      { wrapper: withClient(client) },
    )
    expect(screen.getByText('Loading messages…')).toBeTruthy()
    await waitFor(() => expect(screen.getByTestId('texts').textContent).toBe('after the fallback'))
    expect(screen.queryByText('Loading messages…')).toBeNull()
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(counter.watchRequests()).toBe(1)
  })

  it('stops suspending when an empty collection goes live', async () => {
    client = testClient(server.url)
    render(
      <Suspense fallback={<p>Loading…</p>}>
        <Messages url={watchUrl(newRoom())} suspense />
      </Suspense>,
      { wrapper: withClient(client) },
    )
    expect(screen.getByText('Loading…')).toBeTruthy()
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(screen.getByTestId('texts').textContent).toBe('')
  })
})
