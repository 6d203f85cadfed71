import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { installedPackages, npm, packLibrary, registryUnreachable, run } from '../support/packedPackage.js'

/**
 * The package as a user gets it: `npm run build`, `npm pack`, then `npm install <tarball>` in an
 * empty project. A browser app's install must not pull in the server's packages, and a
 * records-only server must run without the optional peer @automerge/automerge.
 */
const fixtures = resolve(import.meta.dirname, 'fixtures/consumer')
let consumer: string | undefined

afterAll(async () => {
  if (consumer !== undefined) await rm(consumer, { recursive: true, force: true })
})

async function node(script: string, cwd: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [script], { cwd, timeout: 30_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
}

it('installs into a clean project: a browser app gets no server packages, and a records server runs without Automerge', { timeout: 120_000 }, async (context) => {
  const unreachable = await registryUnreachable()
  if (unreachable !== undefined) {
    console.log(`consumerInstall: skipped, the npm registry cannot be reached (${unreachable})`)
    return context.skip('the npm registry cannot be reached')
  }
  const started = performance.now()
  consumer = await mkdtemp(join(tmpdir(), 'syncline-consumer-'))
  const tarball = await packLibrary(consumer)
  // Shipped declarations have no maps pointing at src/, which the package does not ship.
  expect(tarball.files.filter((file) => file.path.endsWith('.d.ts.map'))).toEqual([])
  expect(tarball.files.some((file) => file.path === 'LICENSE')).toBe(true)

  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  const installStarted = performance.now()
  await npm(['install', tarball.tarball], consumer)
  const browserInstallMs = performance.now() - installStarted
  const browserApp = await installedPackages(consumer)
  console.log(`consumerInstall: npm install syncline (tarball) took ${(browserInstallMs / 1000).toFixed(1)} s and installed: ${browserApp.join(', ')}`)
  const names = browserApp.map((entry) => entry.slice(0, entry.lastIndexOf('@')))
  // React is an optional peer: the app brings its own.
  expect(names).toEqual(['@standard-schema/spec', 'idb', 'syncline'])

  for (const script of await readdir(fixtures)) await copyFile(join(fixtures, script), join(consumer, script))
  // Without `ws`, importing syncline/server works and start() names the package to install.
  const withoutWs = await node('serverWithoutWs.mjs', consumer)
  expect(withoutWs.started).toBe(false)
  expect(withoutWs.code).toBe('unavailable')
  expect(withoutWs.message).toContain('npm install ws')

  const wsStarted = performance.now()
  await npm(['install', 'ws'], consumer)
  const serverPackages = await installedPackages(consumer)
  console.log(`consumerInstall: npm install ws took ${((performance.now() - wsStarted) / 1000).toFixed(1)} s; a records server has: ${serverPackages.join(', ')}`)
  expect(serverPackages.some((entry) => entry.startsWith('@automerge/'))).toBe(false)

  const records = await node('recordsServer.mjs', consumer)
  expect(records.putStatus).toBe(200)
  expect(records.listStatus).toBe(200)
  expect(records.texts).toEqual(['hello from a consumer'])
  // A document connection is refused with what to install, and the operator is told once.
  const upgrade = records.upgrade as { status: number; body: string }
  expect(upgrade.status).toBe(501)
  expect(upgrade.body).toContain('npm install @automerge/automerge')
  expect(records.errors).toEqual([expect.stringContaining('@automerge/automerge')])
  console.log(`consumerInstall: build, pack, both installs and both scripts took ${((performance.now() - started) / 1000).toFixed(1)} s`)
})
