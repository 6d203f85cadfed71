import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { useDoc } from '../../src/react/useDoc.js'

const docsUrl = inject('serverUrl').replace(/^http/, 'ws') + '/'
/** Nothing listens here: a page whose server is unreachable. */
const deadUrl = 'ws://127.0.0.1:9/'

interface Board {
  cards: string[]
}

function Cards({ url }: { url: string }) {
  const [board, change, info] = useDoc<Board>(url)
  return (
    <div>
      <p data-testid="cards">{board?.cards.join(',') ?? 'loading'}</p>
      <p data-testid="status">{info.status}</p>
      <p data-testid="saved">{`${info.saved.local}/${info.saved.server}`}</p>
      <button type="button" onClick={() => change((doc) => void doc.cards.push('done'))}>add</button>
    </div>
  )
}

afterEach(() => cleanup())

describe('useDoc in Chromium with an IndexedDB cache', () => {
  it('paints a cached document with the server unreachable, keeps an edit made then across a remount, and syncs it', async () => {
    const dbName = `useDoc-${crypto.randomUUID()}`
    const seed = createDocConnection({ url: docsUrl, cache: createIndexedDBCache({ dbName }) })
    seed.start()
    const created = seed.create<Board>({ cards: ['todo', 'doing'] })
    await created.whenSaved('server')
    await seed.close()

    const offline = render(
      <SyncProvider url={deadUrl} cache={createIndexedDBCache({ dbName })}>
        <Cards url={created.url} />
      </SyncProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('cards').textContent).toBe('todo,doing'))
    expect(screen.getByTestId('status').textContent).not.toBe('live')
    screen.getByRole('button').click()
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('true/false'))
    offline.unmount()

    // As after a reload: a new cache object on the same database, and the server reachable.
    render(
      <SyncProvider url={docsUrl} cache={createIndexedDBCache({ dbName })}>
        <Cards url={created.url} />
      </SyncProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('cards').textContent).toBe('todo,doing,done'))
    await waitFor(() => expect(screen.getByTestId('saved').textContent).toBe('true/true'), { timeout: 5000 })

    const other = createDocConnection({ url: docsUrl })
    other.start()
    const fetched = other.open<Board>(created.url)
    await waitFor(() => expect(fetched.getSnapshot().doc?.cards).toEqual(['todo', 'doing', 'done']), { timeout: 5000 })
    await other.close()
  })
})
