import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import { DocPresence } from '../../src/core/docs/presence.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { usePresence } from '../../src/react/usePresence.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

interface Cursor {
  name: string
  line: number
}

let server: SyncServer
const clients: SyncClient[] = []

beforeEach(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
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
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    releaseDelayMs: 50,
  })
  clients.push(client)
  return client
}

function Editor({ url, name, line, timeoutMs = 60_000 }: { url: string; name: string; line: number; timeoutMs?: number }) {
  const others = usePresence<Cursor>(url, { name, line }, { heartbeatMs: 50, timeoutMs })
  return <p data-testid={`sees-${name}`}>{others.map((peer) => `${peer.state.name}@${peer.state.line}`).join(',')}</p>
}

describe('usePresence through the reference server', () => {
  it('shows each peer the others, follows their changes, and drops a peer that leaves', async () => {
    const seeder = newClient()
    const doc = seeder.createDoc({ text: '' }, automergeDocSupport)
    await doc.whenSaved('server')

    const alice = newClient()
    const bob = newClient()
    const view = (bobLine: number, withBob = true) => (
      <>
        <SyncProvider client={alice}><Editor url={doc.url} name="alice" line={1} /></SyncProvider>
        {withBob && <SyncProvider client={bob}><Editor url={doc.url} name="bob" line={bobLine} /></SyncProvider>}
      </>
    )
    const { rerender } = render(view(7))
    await waitFor(() => expect(screen.getByTestId('sees-alice').textContent).toBe('bob@7'))
    await waitFor(() => expect(screen.getByTestId('sees-bob').textContent).toBe('alice@1'))

    rerender(view(9))
    await waitFor(() => expect(screen.getByTestId('sees-alice').textContent).toBe('bob@9'))

    // Unmounting says "left": with a one-minute timeout, nothing else could drop bob.
    rerender(view(9, false))
    await waitFor(() => expect(screen.getByTestId('sees-alice').textContent).toBe(''))
  })

  it('drops a peer that goes silent without saying goodbye, after the timeout', async () => {
    const seeder = newClient()
    const doc = seeder.createDoc({ text: '' }, automergeDocSupport)
    await doc.whenSaved('server')
    const alice = newClient()
    render(<SyncProvider client={alice}><Editor url={doc.url} name="alice" line={1} timeoutMs={300} /></SyncProvider>)

    // Bob, headless: announces himself, then his connection dies without a word.
    const bob = newClient()
    const bobStore = bob.getDocStore(doc.url, automergeDocSupport)
    const releaseBob = bob.retain(bobStore)
    const bobPresence = new DocPresence<Cursor>(bobStore, { heartbeatMs: 50 })
    bobPresence.set({ name: 'bob', line: 3 })
    await waitFor(() => expect(screen.getByTestId('sees-alice').textContent).toBe('bob@3'))
    await bob.docConnection!.close()
    await waitFor(() => expect(screen.getByTestId('sees-alice').textContent).toBe(''), { timeout: 3000 })
    bobPresence.close()
    releaseBob()
  })
})
