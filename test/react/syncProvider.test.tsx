import { act, cleanup, render } from '@testing-library/react'
import { StrictMode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { SyncProvider } from '../../src/react/SyncProvider.js'
import { useSyncClient } from '../../src/react/useSyncClient.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

/** Records every client the hooks below the provider were given. */
function clientProbe() {
  const seen: SyncClient[] = []
  function Probe() {
    seen.push(useSyncClient())
    return null
  }
  return { seen, Probe }
}

describe('<SyncProvider>', () => {
  it('keeps one client when the cache prop is a new object on every render', () => {
    const { seen, Probe } = clientProbe()
    const app = () => (
      <StrictMode>
        <SyncProvider url="ws://127.0.0.1:1/" cache={createMemoryCache()}>
          <Probe />
        </SyncProvider>
      </StrictMode>
    )
    const { rerender } = render(app())
    rerender(app())
    rerender(app())
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(new Set(seen).size).toBe(1)
  })

  it('closes a replaced client, and then the default cache it made for it', async () => {
    const { seen, Probe } = clientProbe()
    const app = (url: string) => (
      <StrictMode>
        <SyncProvider url={url}>
          <Probe />
        </SyncProvider>
      </StrictMode>
    )
    const { rerender } = render(app('ws://127.0.0.1:1/a'))
    const first = seen.at(-1)!
    const firstClose = vi.spyOn(first, 'close')
    const firstCacheClose = vi.spyOn(first.options.cache!, 'close')
    rerender(app('ws://127.0.0.1:1/a')) // the same settings: nothing is replaced
    await act(async () => {})
    expect(firstClose).not.toHaveBeenCalled()

    rerender(app('ws://127.0.0.1:1/b'))
    const second = seen.at(-1)!
    expect(second).not.toBe(first)
    const secondClose = vi.spyOn(second, 'close')
    await vi.waitFor(() => expect(firstCacheClose).toHaveBeenCalledTimes(1))
    expect(firstClose).toHaveBeenCalledTimes(1)
    expect(secondClose).not.toHaveBeenCalled()
  })

  it('does not close a cache the application passed in', async () => {
    const { seen, Probe } = clientProbe()
    const cache = createMemoryCache()
    const cacheClose = vi.spyOn(cache, 'close')
    const app = (url: string) => (
      <SyncProvider url={url} cache={cache}>
        <Probe />
      </SyncProvider>
    )
    const { rerender } = render(app('ws://127.0.0.1:1/a'))
    const firstClose = vi.spyOn(seen.at(-1)!, 'close')
    rerender(app('ws://127.0.0.1:1/b'))
    await vi.waitFor(() => expect(firstClose).toHaveBeenCalledTimes(1))
    await act(async () => {})
    expect(cacheClose).not.toHaveBeenCalled()
  })
})
