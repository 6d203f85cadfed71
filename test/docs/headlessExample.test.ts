// The README's headless client (docs/examples/headless-client.ts) run as a user would, with
// tsx, against the reference server: once to create a document, once more to open it by the
// URL the first run printed. Only the server address differs from the README block.
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

const root = resolve(import.meta.dirname, '../..')
// Inside the repository, so that `ws` and tsconfig's `syncline/core` path resolve from it.
const script = join(import.meta.dirname, `.headless-run-${process.pid}.ts`)
let server: SyncServer

beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  const example = await readFile(join(root, 'docs/examples/headless-client.ts'), 'utf8')
  await writeFile(script, example.replaceAll('127.0.0.1:3030', new URL(server.url).host))
})

afterAll(async () => {
  await rm(script, { force: true })
  await server?.close()
})

const run = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), [script, ...args], { cwd: root, timeout: 60_000 })).stdout

it('creates a document, then opens it by the printed URL and adds to it', async () => {
  const first = await run()
  const url = /^notes: (automerge:\w+)$/m.exec(first)?.[1]
  expect(url).toMatch(/^automerge:/)
  expect(first).toContain("[ 'from a script' ]")
  const second = await run(url!)
  expect(second).toContain(`notes: ${url}`)
  expect(second).toContain("[ 'from a script', 'from a script' ]")
}, 120_000)
