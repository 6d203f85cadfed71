import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { useRecords } from '../../src/react/useRecords.js'
import { useSyncClient } from '../../src/react/useSyncClient.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from './helpers.js'
import { newRoom, putMessage, testClient, textsOf, watchUrl, withClient } from './helpers.js'

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
})

function Messages({ url }: { url: string }) {
  const { records, status } = useRecords<Message>(url)
  return (
    <div>
      <output data-testid="status">{status}</output>
      <output data-testid="texts">{textsOf(records)}</output>
    </div>
  )
}

function App({ url }: { url: string }) {
  const client = useSyncClient()
  const [user, setUser] = useState('alice')
  const [outcome, setOutcome] = useState('')
  const logout = () => {
    client.clearLocalData().then(() => setOutcome('logged out'), (failure: Error) => setOutcome(failure.message))
  }
  return (
    <>
      <button onClick={logout}>Log out</button>
      <button onClick={() => setUser('bob')}>Sign in as bob</button>
      <output data-testid="outcome">{outcome}</output>
      {/* Keyed by user: the next sign-in's hooks open new stores. */}
      <Messages key={user} url={url} />
    </>
  )
}

it('useSyncClient().clearLocalData() logs out: the mounted list empties, and a new sign-in opens new stores', async () => {
  const room = newRoom()
  const url = watchUrl(room)
  await putMessage(server.url, room, 'one')
  client = testClient(server.url)
  render(<App url={url} />, { wrapper: withClient(client) })
  await waitFor(() => expect(screen.getByTestId('texts').textContent).toBe('one'))

  fireEvent.click(screen.getByText('Log out'))
  await waitFor(() => expect(screen.getByTestId('outcome').textContent).toBe('logged out'))
  // Still mounted, the list shows nothing of alice any more.
  await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('closed'))
  expect(screen.getByTestId('texts').textContent).toBe('')

  fireEvent.click(screen.getByText('Sign in as bob'))
  await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
  expect(screen.getByTestId('texts').textContent).toBe('one')
})
