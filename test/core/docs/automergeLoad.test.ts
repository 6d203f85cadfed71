import { afterEach, describe, expect, it } from 'vitest'
import type { AutomergeImports } from '../../../src/core/docs/automerge.js'
import { automergeLoader } from '../../../src/core/docs/automerge.js'
import { answerJoin, closeAll, connect, rawServer, until } from './helpers.js'

afterEach(closeAll)

type Notes = { notes: string[] }

/** Automerge's own chunk fails to arrive, as a browser reports it, until `arrive()`. */
function flakyAutomerge(failure: () => unknown) {
  let failing = true
  let loads = 0
  const imports: AutomergeImports = {
    automerge: () => {
      loads++
      return failing ? Promise.reject(failure()) : import('@automerge/automerge/slim')
    },
    wasmBase64: () => import('@automerge/automerge/automerge.wasm.base64'),
  }
  return { load: automergeLoader(imports), arrive: () => void (failing = false), loads: () => loads }
}

describe('loading Automerge', () => {
  it('a chunk that fails to arrive is a network error, and the documents load when it comes', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const automerge = flakyAutomerge(() => new TypeError('Failed to fetch dynamically imported module: http://app.test/assets/automerge.js'))
    const connection = connect(server.url, { closeTimeoutMs: 10 }, { loadAutomerge: automerge.load })
    const created = connection.create<Notes>({ notes: ['kept'] })
    await until(() => created.getSnapshot().error !== null, 'the store error')
    expect(created.getSnapshot()).toMatchObject({ status: 'loading', error: { code: 'network' } })
    await until(() => connection.getSnapshot().status === 'reconnecting', 'reconnecting')
    const failedLoads = automerge.loads()
    automerge.arrive()
    await until(() => created.getSnapshot().status === 'ready', 'the created document')
    expect(automerge.loads()).toBeGreaterThan(failedLoads)
    expect(created.getSnapshot()).toMatchObject({ doc: { notes: ['kept'] }, error: null })
  })

  it('a package that is not installed is unavailable, with the install hint', async () => {
    const missing = Object.assign(new Error("Cannot find package '@automerge/automerge'"), { code: 'ERR_MODULE_NOT_FOUND' })
    const automerge = flakyAutomerge(() => missing)
    const error = await automerge.load().then(
      () => null,
      (failure: unknown) => failure,
    )
    expect(error).toMatchObject({ name: 'SyncError', code: 'unavailable', cause: missing })
    expect(String((error as Error).message)).toContain('npm install @automerge/automerge')
  })

  it('tries again after a failure, and loads once when it works', async () => {
    const automerge = flakyAutomerge(() => new TypeError('Failed to fetch dynamically imported module'))
    await expect(automerge.load()).rejects.toMatchObject({ code: 'network' })
    automerge.arrive()
    const [first, second] = await Promise.all([automerge.load(), automerge.load()])
    expect(first).toBe(second)
    expect(automerge.loads()).toBe(2)
  })
})
