import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { SyncClient } from '../../src/core/client.js'
import { useRecord } from '../../src/react/useRecord.js'
import { useRecords } from '../../src/react/useRecords.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { StorageProvider } from '../../src/server/storage/types.js'
import type { Message } from './helpers.js'
import { ALICE, COLLECTION, deleteMessage, newRoom, putMessage, testClient, textsOf, watchUrl, withClient } from './helpers.js'

let storage: StorageProvider
let server: SyncServer
let client: SyncClient | null = null

beforeEach(async () => {
  storage = memoryStorage()
  server = createSyncServer({ port: 0, storage })
  await server.start()
})
afterEach(async () => {
  cleanup()
  await client?.close()
  client = null
  await server.close()
})

describe('useRecord', () => {
  it('shows one record and re-renders only when that record changes', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'mine', 'target')
    await putMessage(server.url, room, 'other', 'other')
    client = testClient(server.url)
    let renders = 0
    function One() {
      const record = useRecord<Message>(url, 'target', ALICE)
      renders++
      return <output data-testid="one">{record === undefined ? 'none' : record.value.text}</output>
    }
    function All() {
      const { records, status } = useRecords<Message>(url)
      return <output data-testid="all">{`${status}:${textsOf(records)}`}</output>
    }
    render(
      <>
        <One />
        <All />
      </>,
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(screen.getByTestId('all').textContent).toBe('live:other,mine'))
    expect(screen.getByTestId('one').textContent).toBe('mine')
    const settled = renders

    // Another record changes, is added, and the status moved along: the selected record did not.
    await putMessage(server.url, room, 'other, edited', 'other')
    await putMessage(server.url, room, 'third', 'third')
    await waitFor(() => expect(screen.getByTestId('all').textContent).toBe('live:third,other, edited,mine'))
    expect(renders).toBe(settled)

    await putMessage(server.url, room, 'mine, edited', 'target')
    await waitFor(() => expect(screen.getByTestId('one').textContent).toBe('mine, edited'))
    expect(renders).toBe(settled + 1)

    await deleteMessage(server.url, room, 'target')
    await waitFor(() => expect(screen.getByTestId('one').textContent).toBe('none'))
  })

  it('looks each mounted row up by key: an update scans the record list for none of them', async () => {
    const ROWS = 40
    const room = newRoom()
    const url = watchUrl(room)
    const key = (i: number) => `row${String(i).padStart(2, '0')}`
    for (let i = 0; i < ROWS; i++) await putMessage(server.url, room, `v0 ${i}`, key(i))
    client = testClient(server.url)
    const renders = new Map<string, number>()
    function Row({ rkey }: { rkey: string }) {
      const record = useRecord<Message>(url, rkey, ALICE)
      renders.set(rkey, (renders.get(rkey) ?? 0) + 1)
      return <li data-testid={rkey}>{record?.value.text ?? 'none'}</li>
    }
    render(<ul>{Array.from({ length: ROWS }, (_, i) => <Row key={i} rkey={key(i)} />)}</ul>, { wrapper: withClient(client) })
    await waitFor(() => expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual(Array.from({ length: ROWS }, (_, i) => `v0 ${i}`)))
    const before = new Map(renders)

    // Counts finds over the store's record list (its records carry our collection), whoever calls them.
    const find = vi.spyOn(Array.prototype, 'find')
    try {
      await putMessage(server.url, room, 'v1', key(7))
      await waitFor(() => expect(screen.getByTestId(key(7)).textContent).toBe('v1'))
      const scans = find.mock.contexts.filter((list) => Array.isArray(list) && list.length >= ROWS && (list[0] as { collection?: unknown } | undefined)?.collection === COLLECTION)
      expect(scans.length).toBe(0)
    } finally {
      find.mockRestore()
    }
    for (let i = 0; i < ROWS; i++) expect(renders.get(key(i))).toBe((before.get(key(i)) ?? 0) + (i === 7 ? 1 : 0))
  })

  it('matches the author when did is given', async () => {
    const room = newRoom()
    const url = watchUrl(room)
    await putMessage(server.url, room, 'alice wrote', 'shared')
    client = testClient(server.url)
    function Bobs() {
      const record = useRecord<Message>(url, 'shared', 'did:example:bob')
      const alices = useRecord<Message>(url, 'shared')
      return <output data-testid="pair">{`${record?.value.text ?? 'none'}|${alices?.value.text ?? 'none'}`}</output>
    }
    render(<Bobs />, { wrapper: withClient(client) })
    await waitFor(() => expect(screen.getByTestId('pair').textContent).toBe('none|alice wrote'))
  })
})

describe('useRecords paging and schema', () => {
  it('loadOlder brings the older pages in, then reports there is nothing older', async () => {
    const room = newRoom()
    for (let i = 0; i < 130; i++) {
      const rkey = `r${String(i).padStart(4, '0')}`
      await storage.putRecord(
        { collection: COLLECTION, room },
        { uri: `at://${ALICE}/${COLLECTION}/${rkey}`, did: ALICE, rkey, collection: COLLECTION, value: { text: `m${i}` }, cid: `c${i}`, time_us: 1_000 + i, indexed_at: 0 },
      )
    }
    client = testClient(server.url)
    let loadOlder: (() => Promise<boolean>) | undefined
    function Room() {
      const result = useRecords<Message>(watchUrl(room))
      loadOlder = result.loadOlder
      return <output data-testid="count">{`${result.status}:${result.records.length}`}</output>
    }
    render(<Room />, { wrapper: withClient(client) })
    await waitFor(() => expect(screen.getByTestId('count').textContent).toBe('live:100'))
    let more: boolean | undefined
    await act(async () => {
      more = await loadOlder!()
    })
    expect(more).toBe(true)
    expect(screen.getByTestId('count').textContent).toBe('live:130')
    await act(async () => {
      more = await loadOlder!()
    })
    expect(more).toBe(false)
  })

  it('skips records that do not match the schema and shows the schema output', async () => {
    const room = newRoom()
    await putMessage(server.url, room, 'short')
    await putMessage(server.url, room, 'a message that is much too long')
    client = testClient(server.url)
    const Short = z.object({ text: z.string().max(10).transform((text) => text.toUpperCase()) })
    function Room() {
      const { records, status } = useRecords(watchUrl(room), { schema: Short })
      return <output data-testid="texts">{`${status}:${records.map((record) => record.value.text).join(',')}`}</output>
    }
    render(<Room />, { wrapper: withClient(client) })
    await waitFor(() => expect(screen.getByTestId('texts').textContent).toBe('live:SHORT'))
  })
})
