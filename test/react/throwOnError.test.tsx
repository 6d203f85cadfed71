import { cleanup, render, screen } from '@testing-library/react'
import { Component, Suspense } from 'react'
import type { ReactNode } from 'react'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import type { SyncError } from '../../src/core/errors.js'
import { useDoc } from '../../src/react/useDoc.js'
import { useRecord } from '../../src/react/useRecord.js'
import { useRecords } from '../../src/react/useRecords.js'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { newRoom, watchUrl, withClient } from './helpers.js'

const ALICE = 'did:example:alice'
const DOC_URL = 'automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ'

let server: SyncServer | undefined
let client: SyncClient | undefined
afterEach(async () => {
  cleanup()
  await client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

/** Shows the error it caught, so a test can read its code and message. */
class Boundary extends Component<{ children: ReactNode }, { error: SyncError | null }> {
  override state: { error: SyncError | null } = { error: null }
  static getDerivedStateFromError(error: SyncError) {
    return { error }
  }
  override render() {
    const { error } = this.state
    return error === null ? this.props.children : <p data-testid="caught">{`${error.code}: ${error.message}`}</p>
  }
}

function renderInBoundaries(children: ReactNode) {
  return render(
    <Boundary>
      <Suspense fallback={<p>loading</p>}>{children}</Suspense>
    </Boundary>,
    { wrapper: withClient(client!) },
  )
}

/** A server whose only user is alice, with the token "alice"; `authorize` may refuse her. */
async function startServer(options: Partial<SyncServerOptions> = {}): Promise<SyncServer> {
  server = createSyncServer({
    port: 0,
    storage: memoryStorage(),
    authenticate: ({ token }) => (token === 'alice' ? { userId: ALICE } : undefined),
    ...options,
  })
  await server.start()
  return server
}

function clientFor(running: SyncServer, token: string, cache = createMemoryCache()): SyncClient {
  client = createSyncClient({
    url: running.url.replace('http', 'ws'),
    recordsBaseUrl: running.url,
    token: async () => token,
    cache,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
  })
  return client
}

function Messages({ url, suspense = true, throwOnError }: { url: string; suspense?: boolean; throwOnError?: boolean | ((error: SyncError) => boolean) }) {
  const { records, status, error } = useRecords<Message>(url, { suspense, throwOnError })
  return <p data-testid="returned">{`${status} ${error?.code ?? 'no error'} ${records.length}`}</p>
}

const caught = async (): Promise<string> => (await screen.findByTestId('caught', {}, { timeout: 8000 })).textContent ?? ''
const returned = async (text: string): Promise<void> => {
  await screen.findByText(text, {}, { timeout: 8000 })
}

describe('with suspense, errors no retry fixes reach the error boundary', () => {
  it("'unauthorized': a refused token", async () => {
    clientFor(await startServer(), 'expired')
    renderInBoundaries(<Messages url={watchUrl(newRoom())} />)
    expect(await caught()).toMatch(/^unauthorized: /)
  })

  it("'forbidden': a user the server will not let watch", async () => {
    clientFor(await startServer({ authorize: () => false }), 'alice')
    renderInBoundaries(<Messages url={watchUrl(newRoom())} />)
    expect(await caught()).toMatch(/^forbidden: /)
  })

  it("'unavailable': a document cache that cannot work here (no IndexedDB)", async () => {
    expect(typeof indexedDB).toBe('undefined')
    clientFor(await startServer(), 'alice', createIndexedDBCache() as ReturnType<typeof createMemoryCache>)
    function Note() {
      const [doc] = useDoc<{ text: string }>(DOC_URL, { suspense: true })
      return <p>{`doc ${String(doc)}`}</p>
    }
    renderInBoundaries(<Note />)
    expect(await caught()).toMatch(/^unavailable: .*IndexedDB/)
  })

  it("'bad-input': a malformed document id, with the id in the message", async () => {
    clientFor(await startServer(), 'alice')
    function Note() {
      const [doc] = useDoc<{ text: string }>('automerge:not-a-real-id', { suspense: true })
      return <p>{`doc ${String(doc)}`}</p>
    }
    renderInBoundaries(<Note />)
    expect(await caught()).toMatch(/^bad-input: "automerge:not-a-real-id" is not an automerge document id/)
  })
})

describe('throwOnError decides otherwise', () => {
  it('false: with suspense, a fatal error is returned, not thrown', async () => {
    clientFor(await startServer(), 'expired')
    renderInBoundaries(<Messages url={watchUrl(newRoom())} throwOnError={false} />)
    await returned('closed unauthorized 0')
    expect(screen.queryByTestId('caught')).toBe(null)
  })

  it('a function: throws only the errors it picks', async () => {
    clientFor(await startServer(), 'expired')
    const seen: string[] = []
    const onlyForbidden = (error: SyncError): boolean => {
      seen.push(error.code)
      return error.code === 'forbidden'
    }
    renderInBoundaries(<Messages url={watchUrl(newRoom())} throwOnError={onlyForbidden} />)
    await returned('closed unauthorized 0')
    expect(seen).toContain('unauthorized')
    expect(screen.queryByTestId('caught')).toBe(null)
  })

  it('true: without suspense, any error is thrown (here a 404 watch URL)', async () => {
    clientFor(await startServer(), 'alice')
    renderInBoundaries(<Messages url={`/api${watchUrl(newRoom())}`} suspense={false} throwOnError />)
    expect(await caught()).toMatch(/^not-found: .*recordsBaseUrl/)
  })

  it('without suspense and without throwOnError, errors are returned', async () => {
    clientFor(await startServer(), 'expired')
    renderInBoundaries(<Messages url={watchUrl(newRoom())} suspense={false} />)
    await returned('closed unauthorized 0')
  })

  it('useRecord throws the watch error only with throwOnError', async () => {
    clientFor(await startServer(), 'expired')
    const url = watchUrl(newRoom())
    function One({ throwOnError }: { throwOnError: boolean }) {
      const record = useRecord<Message>(url, 'r1', undefined, { throwOnError })
      return <p data-testid="one">{record === undefined ? 'none' : record.value.text}</p>
    }
    renderInBoundaries(
      <>
        <Messages url={url} suspense={false} />
        <One throwOnError={false} />
      </>,
    )
    await returned('closed unauthorized 0')
    expect(screen.getByTestId('one').textContent).toBe('none')
    cleanup()
    renderInBoundaries(<One throwOnError />)
    expect(await caught()).toMatch(/^unauthorized: /)
  })
})
