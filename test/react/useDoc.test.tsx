import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { Profiler, StrictMode, Suspense, memo, useState } from 'react'
import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import type { DocInfo } from '../../src/react/useDoc.js'
import { useDoc } from '../../src/react/useDoc.js'
import { useCreateDoc } from '../../src/react/useCreateDoc.js'
import { useConnectionStatus } from '../../src/react/useConnectionStatus.js'
import { useSyncStatus } from '../../src/react/useSyncStatus.js'
import { useUnsavedChangesGuard } from '../../src/react/useUnsavedChangesGuard.js'
import type { StorageProvider } from '../../src/server/index.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

interface Todo {
  text: string
  done: boolean
}
interface TodoList {
  title: string
  items: Todo[]
}

/**
 * How long a wait for a document to open on a new client's socket may take. With the machine
 * loaded (load ~16 on 2 cores) opening took up to 3.2 s, past waitFor's 1 s default.
 */
const OPEN_TIMEOUT_MS = 10_000

let server: SyncServer
let storage: StorageProvider
const clients: SyncClient[] = []

/** Counts the sockets a client opens: StrictMode must not make two. */
let socketsOpened = 0
class CountingWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args)
    socketsOpened++
  }
}

async function startServer(port = 0): Promise<void> {
  server = createSyncServer({ port, storage, saveDebounceMs: 5 })
  await server.start()
}

beforeEach(async () => {
  socketsOpened = 0
  storage = memoryStorage()
  await startServer()
})
afterEach(async () => {
  cleanup()
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await server.close()
})

function newClient(): SyncClient {
  const client = createSyncClient({
    url: server.url.replace('http', 'ws'),
    cache: createMemoryCache(),
    WebSocket: CountingWebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    releaseDelayMs: 50,
  })
  clients.push(client)
  return client
}

const Wrapper = ({ client, children }: { client: SyncClient; children: ReactNode }) => <SyncProvider client={client}>{children}</SyncProvider>

/** A document a second client made and the server has. */
async function seedDocument(initial: TodoList): Promise<string> {
  const seeder = newClient()
  const store = seeder.createDoc<TodoList>(initial, automergeDocSupport)
  await store.whenSaved('server')
  return store.url
}

function Title({ url, onInfo }: { url: string; onInfo?: (info: DocInfo) => void }) {
  const [doc, change, info] = useDoc<TodoList>(url)
  onInfo?.(info)
  return (
    <div>
      <span data-testid="title">{doc?.title ?? '…'}</span>
      <span data-testid="docStatus">{info.docStatus}</span>
      <span data-testid="status">{info.status}</span>
      <span data-testid="saved">{`${info.saved.local}/${info.saved.server}`}</span>
      <button type="button" onClick={() => change((d) => void (d.title = 'renamed'))}>rename</button>
    </div>
  )
}

describe('useDoc against the reference server', () => {
  it('shows a document made elsewhere, syncs a local edit to another client, and reports both saved levels', async () => {
    const url = await seedDocument({ title: 'Groceries', items: [] })
    const mine = newClient()
    const theirs = newClient()
    render(
      <>
        <Wrapper client={mine}><Title url={url} /></Wrapper>
      </>,
    )
    await waitFor(() => expect(screen.getByTestId('title').textContent).toBe('Groceries'), { timeout: OPEN_TIMEOUT_MS })
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(screen.getByTestId('docStatus').textContent).toBe('ready')

    const other = theirs.getDocStore<TodoList>(url, automergeDocSupport)
    const release = theirs.retain(other)
    await waitFor(() => expect(other.getSnapshot().doc?.title).toBe('Groceries'), { timeout: OPEN_TIMEOUT_MS })

    act(() => screen.getByRole('button').click())
    // Applied locally in the same commit, before any network round trip.
    expect(screen.getByTestId('title').textContent).toBe('renamed')
    await waitFor(() => expect(other.getSnapshot().doc?.title).toBe('renamed'))
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('true/true'))
    release()
  })

  it('creates a document with useCreateDoc that another client then opens', async () => {
    const mine = newClient()
    let created: string | undefined
    function Creator() {
      const createDoc = useCreateDoc<TodoList>()
      const [url, setUrl] = useState<string | undefined>()
      return (
        <>
          <button type="button" onClick={() => setUrl((created = createDoc({ title: 'new list', items: [] })))}>new</button>
          {url !== undefined && <Title url={url} />}
        </>
      )
    }
    render(<Wrapper client={mine}><Creator /></Wrapper>)
    act(() => screen.getByRole('button', { name: 'new' }).click())
    expect(created).toMatch(/^automerge:/)
    await waitFor(() => expect(screen.getByTestId('title').textContent).toBe('new list'), { timeout: OPEN_TIMEOUT_MS })
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('true/true'))

    const theirs = newClient()
    render(<Wrapper client={theirs}><Title url={created!} /></Wrapper>)
    await waitFor(() => expect(screen.getAllByTestId('title').map((node) => node.textContent)).toEqual(['new list', 'new list']), { timeout: OPEN_TIMEOUT_MS })
  })

  it('re-renders only the row whose item changed when rows select their item', async () => {
    const items = Array.from({ length: 20 }, (_, index) => ({ text: `item ${index}`, done: false }))
    const url = await seedDocument({ title: 'rows', items })
    const renders = new Map<number, number>()
    const Row = memo(function Row({ index }: { index: number }) {
      const [item] = useDoc<TodoList, Todo | undefined>(url, { selector: (doc) => doc.items[index] })
      renders.set(index, (renders.get(index) ?? 0) + 1)
      // A row without its item yet says so: 'open' must mean the document reached this row.
      return <li data-testid={`row-${index}`}>{item === undefined ? 'loading' : item.done ? 'done' : 'open'}</li>
    })
    let commits = 0
    render(
      <Wrapper client={newClient()}>
        <Profiler id="rows" onRender={() => commits++}>
          <ul>{items.map((_, index) => <Row key={index} index={index} />)}</ul>
        </Profiler>
      </Wrapper>,
    )
    // Every row must have rendered its item before counting starts: until the document has
    // arrived, each row shows 'loading', and its arrival re-renders all of them (rightly).
    // Status-only updates after that must not re-render a row, so no settling delay is needed.
    await waitFor(() => expect(items.map((_, index) => screen.getByTestId(`row-${index}`).textContent)).toEqual(items.map(() => 'open')), { timeout: OPEN_TIMEOUT_MS })
    renders.clear()
    commits = 0

    const writer = newClient()
    const store = writer.getDocStore<TodoList>(url, automergeDocSupport)
    const release = writer.retain(store)
    await waitFor(() => expect(store.getSnapshot().status).toBe('ready'), { timeout: OPEN_TIMEOUT_MS })
    for (let round = 0; round < 3; round++) {
      store.change((doc) => void (doc.items[7]!.done = round % 2 === 0))
      await waitFor(() => expect(screen.getByTestId('row-7').textContent).toBe(round % 2 === 0 ? 'done' : 'open'))
    }
    expect([...renders.keys()]).toEqual([7])
    expect(renders.get(7)).toBe(3)
    expect(commits).toBe(3)
    release()
  })

  it('keeps an equal selection\'s object when an inline selector changes identity on every render', async () => {
    const url = await seedDocument({ title: 'kept', items: [] })
    const seen: Array<{ title: string } | undefined> = []
    function KeptTitle() {
      const [, setTick] = useState(0)
      // A new selector and comparator each render, each selection a new object: the hook must
      // hand back the object it gave before while the selections are equal.
      const [picked] = useDoc<TodoList, { title: string }>(url, { selector: (doc) => ({ title: doc.title }), isEqual: (a, b) => a.title === b.title })
      seen.push(picked)
      return <button type="button" data-testid="kept" onClick={() => setTick((tick) => tick + 1)}>{picked?.title ?? 'loading'}</button>
    }
    render(<Wrapper client={newClient()}><KeptTitle /></Wrapper>)
    await waitFor(() => expect(screen.getByTestId('kept').textContent).toBe('kept'), { timeout: OPEN_TIMEOUT_MS })
    const first = seen[seen.length - 1]
    act(() => screen.getByTestId('kept').click())
    act(() => screen.getByTestId('kept').click())
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen[seen.length - 1]).toBe(first)
    expect(seen[seen.length - 2]).toBe(first)
  })

  it('suspends until the document is ready', async () => {
    const url = await seedDocument({ title: 'suspended', items: [] })
    function Suspending() {
      const [doc] = useDoc<TodoList>(url, { suspense: true })
      return <span data-testid="suspended">{doc?.title}</span>
    }
    render(
      <Wrapper client={newClient()}>
        <Suspense fallback={<span data-testid="fallback">loading</span>}><Suspending /></Suspense>
      </Wrapper>,
    )
    expect(screen.getByTestId('fallback')).toBeTruthy()
    await waitFor(() => expect(screen.getByTestId('suspended').textContent).toBe('suspended'), { timeout: OPEN_TIMEOUT_MS })
  })

  it('opens one socket under StrictMode for several readers of several documents', async () => {
    const first = await seedDocument({ title: 'one', items: [] })
    const second = await seedDocument({ title: 'two', items: [] })
    socketsOpened = 0
    render(
      <StrictMode>
        <Wrapper client={newClient()}>
          <Title url={first} />
          <Title url={first} />
          <Title url={second} />
        </Wrapper>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getAllByTestId('title').map((node) => node.textContent)).toEqual(['one', 'one', 'two']), { timeout: OPEN_TIMEOUT_MS })
    await waitFor(() => expect(screen.getAllByTestId('status').map((node) => node.textContent)).toEqual(['live', 'live', 'live']))
    expect(socketsOpened).toBe(1)
  })

  it('marks an unknown document unavailable', async () => {
    const unknown = 'automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ'
    render(<Wrapper client={newClient()}><Title url={unknown} /></Wrapper>)
    await waitFor(() => expect(screen.getByTestId('docStatus').textContent).toBe('unavailable'), { timeout: OPEN_TIMEOUT_MS })
  })

  it('counts an edit made while the server is down as unsaved, guards it, and saves it after the restart', async () => {
    const url = await seedDocument({ title: 'offline', items: [] })
    const port = server.port
    function Status() {
      const { pending, savedServer } = useSyncStatus()
      const connection = useConnectionStatus()
      const guarded = useUnsavedChangesGuard({ level: 'server' })
      return <span data-testid="sync">{`${pending}/${savedServer}/${guarded}/${connection}`}</span>
    }
    render(
      <Wrapper client={newClient()}>
        <Title url={url} />
        <Status />
      </Wrapper>,
    )
    await waitFor(() => expect(screen.getByTestId('sync').textContent).toBe('0/true/false/live'), { timeout: OPEN_TIMEOUT_MS })

    await server.close()
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('reconnecting'))
    act(() => screen.getByRole('button').click())
    expect(screen.getByTestId('title').textContent).toBe('renamed')
    await waitFor(() => expect(screen.getByTestId('sync').textContent).toMatch(/^1\/false\/true\/(reconnecting|connecting)$/))
    expect(screen.getByTestId('saved').textContent).toBe('true/false')

    await startServer(port)
    await waitFor(() => expect(screen.getByTestId('sync').textContent).toBe('0/true/false/live'), { timeout: 5000 })
    // The server has it: a fresh client reads the edit back.
    const reader = newClient()
    const store = reader.getDocStore<TodoList>(url, automergeDocSupport)
    const release = reader.retain(store)
    await waitFor(() => expect(store.getSnapshot().doc?.title).toBe('renamed'), { timeout: OPEN_TIMEOUT_MS })
    release()
  })

  it('tells a developer who forgot <SyncProvider url> what to do', () => {
    const client = createSyncClient({ cache: createMemoryCache() })
    clients.push(client)
    expect(() => render(<Wrapper client={client}><Title url="automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ" /></Wrapper>)).toThrow(/SyncProvider url/)
  })
})
