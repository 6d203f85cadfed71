import { resolve } from 'node:path'
import { createContext, runInContext } from 'node:vm'
import { build, stop } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../../src')

/**
 * Runs a source module as a browser runs syncline's ESM without a bundler: nothing replaces
 * `process.env.NODE_ENV`, and there is no `process` global (a fresh vm context has none).
 * React is a stub: only what the module touches at the call below.
 */
async function loadWithoutProcess(entry: string): Promise<Record<string, unknown>> {
  const result = await build({
    entryPoints: [resolve(SRC, entry)],
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
    jsx: 'automatic',
    external: ['react', 'react-dom', 'react/*'],
  })
  const context = createContext({})
  expect(runInContext('typeof process', context)).toBe('undefined')
  const react = {
    createContext: () => ({}),
    useContext: () => null,
    jsx: () => null,
    jsxs: () => null,
    Fragment: {},
  }
  const module = { exports: {} as Record<string, unknown> }
  const run = runInContext(`(function (require, module, exports) {${result.outputFiles[0]!.text}\n})`, context) as (
    require: (name: string) => unknown,
    module: { exports: Record<string, unknown> },
    exports: Record<string, unknown>,
  ) => void
  run(() => react, module, module.exports)
  return module.exports
}

afterAll(() => stop())

describe('without a process global (ESM in a browser, no bundler)', () => {
  it('a SyncClient without record support throws its SyncError, not a ReferenceError', async () => {
    const { SyncClient } = (await loadWithoutProcess('core/client.ts')) as { SyncClient: new () => { getRecordStore(url: string): unknown } }
    const client = new SyncClient()
    let thrown: unknown
    try {
      client.getRecordStore('/xrpc/com.example.message.watchRecords')
    } catch (error) {
      thrown = error
    }
    expect((thrown as { code?: string }).code).toBe('bad-input')
    expect((thrown as Error).message).toBe('This SyncClient was made without record support')
  })

  it('a hook outside <SyncProvider> throws its SyncError, not a ReferenceError', async () => {
    const { useSyncContext } = (await loadWithoutProcess('react/context.ts')) as { useSyncContext: (caller: string) => unknown }
    let thrown: unknown
    try {
      useSyncContext('useRecords')
    } catch (error) {
      thrown = error
    }
    expect((thrown as { code?: string }).code).toBe('bad-input')
    expect((thrown as Error).message).toBe('useRecords must be used inside <SyncProvider>')
  })

  it('syncline/devtools loads, and renders nothing (as in production)', async () => {
    const { SyncDevtools } = (await loadWithoutProcess('devtools/index.ts')) as { SyncDevtools: (props: object) => unknown }
    expect(SyncDevtools({})).toBeNull()
  })
})
