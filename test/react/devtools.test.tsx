import { cleanup, render } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import type { SyncDevtools as Devtools } from '../../src/devtools/index.js'
import { createSyncClient } from '../../src/core/client.js'

// The gate reads process.env.NODE_ENV once, when syncline/devtools is first evaluated (as a
// bundler's replacement would): each test loads it afresh under its own NODE_ENV.
const clients: SyncClient[] = []

afterEach(async () => {
  cleanup()
  await Promise.all(clients.splice(0).map((client) => client.close()))
  vi.unstubAllEnvs()
  vi.resetModules()
})

async function renderDevtools(entry: 'index' | 'production'): Promise<HTMLElement> {
  const { SyncDevtools } = (await import(`../../src/devtools/${entry}.ts`)) as { SyncDevtools: typeof Devtools }
  const client = createSyncClient({ recordsBaseUrl: 'http://127.0.0.1:9' })
  // The client prop, not a provider: a provider from before resetModules is another context.
  const { container } = render(<SyncDevtools initialIsOpen client={client} />)
  clients.push(client)
  return container
}

it('renders nothing from syncline/devtools in a production build', async () => {
  vi.stubEnv('NODE_ENV', 'production')
  vi.resetModules()
  const container = await renderDevtools('index')
  expect(container.innerHTML).toBe('')
})

it('renders the panel from syncline/devtools/production in a production build', async () => {
  vi.stubEnv('NODE_ENV', 'production')
  vi.resetModules()
  const container = await renderDevtools('production')
  expect(container.querySelector('[data-syncline-devtools]')).not.toBe(null)
})

it('renders the panel from syncline/devtools in development', async () => {
  vi.stubEnv('NODE_ENV', 'development')
  vi.resetModules()
  const container = await renderDevtools('index')
  expect(container.querySelector('[data-syncline-devtools]')).not.toBe(null)
})
