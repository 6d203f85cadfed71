import { createRequire } from 'node:module'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import pkg from '../../package.json' with { type: 'json' }
import { installedPackages, npm, packLibrary, registryUnreachable, run } from '../support/packedPackage.js'

/**
 * React 17 and 18 as a user installs them (19 is what this repository runs): the packed
 * tarball goes into a clean project with `react@X react-dom@X @types/react@X @types/react-dom@X`,
 * where a consumer `.tsx` must type-check under `strict` (TS2786 under @types/react 17 was the
 * bug), and an app rendered on the server with react-dom/server must hydrate in happy-dom
 * without a warning, then follow a real server: a record put there shows, and a put made
 * through the hook is acknowledged.
 */
const VERSIONS = ['17', '18'] as const
const fixtures = resolve(import.meta.dirname, 'fixtures/reactVersions')
const happyDomEntry = pathToFileURL(createRequire(import.meta.url).resolve('happy-dom')).href
let workspace: string | undefined
let skipReason: string | undefined
const projects = new Map<string, string>()
let server: SyncServer | undefined

beforeAll(async () => {
  skipReason = await registryUnreachable()
  if (skipReason !== undefined) {
    console.log(`reactVersions: skipped, the npm registry cannot be reached (${skipReason})`)
    return
  }
  workspace = await mkdtemp(join(tmpdir(), 'syncline-react-versions-'))
  const { tarball } = await packLibrary(workspace)
  // Both projects install at once; each is a clean app with one React version.
  await Promise.all(
    VERSIONS.map(async (major) => {
      const project = join(workspace!, `react-${major}`)
      await mkdir(project)
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: `consumer-react-${major}`, private: true, type: 'module' }))
      for (const file of await readdir(fixtures)) await copyFile(join(fixtures, file), join(project, file))
      const started = performance.now()
      const packages = [`react@${major}`, `react-dom@${major}`, `@types/react@${major}`, `@types/react-dom@${major}`]
      // The repository's TypeScript, and Automerge for useDoc's types (the optional peer a documents app installs).
      await npm(['install', tarball, ...packages, `typescript@${pkg.devDependencies.typescript}`, `@automerge/automerge@${pkg.peerDependencies['@automerge/automerge']}`], project)
      const installed = await installedPackages(project)
      console.log(`reactVersions: React ${major} project installed in ${((performance.now() - started) / 1000).toFixed(1)} s (${installed.length} packages)`)
      projects.set(major, project)
    }),
  )
  server = createSyncServer({ port: 0, host: '127.0.0.1', storage: memoryStorage() })
  await server.start()
}, 120_000)

afterAll(async () => {
  await server?.close()
  if (workspace !== undefined) await rm(workspace, { recursive: true, force: true })
})

async function nodeScript(project: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, args, { cwd: project, timeout: 40_000, maxBuffer: 16 * 1024 * 1024 })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
}

// The two versions run side by side (tsc is most of the time).
describe.concurrent.each(VERSIONS)('React %s', (major) => {
  it('type-checks a consumer under strict with its own @types/react', async (context) => {
    if (skipReason !== undefined) return context.skip('the npm registry cannot be reached')
    const project = projects.get(major)!
    const tsc = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }))
    expect(tsc.stdout).toBe('')
  })

  it('renders on the server, hydrates without a warning, shows a server record and gets its own put acknowledged', async (context) => {
    if (skipReason !== undefined) return context.skip('the npm registry cannot be reached')
    const project = projects.get(major)!
    const room = `react-${major}-${Date.now()}`
    const rendered = await nodeScript(project, ['serverRender.mjs', server!.url, room])
    expect(rendered.react).toMatch(new RegExp(`^${major}\\.`))
    expect(rendered.reported).toEqual([])
    const html = rendered.html as string
    // Before anything has loaded, the badge says Idle and claims no saved state.
    expect(html).toContain('Idle')
    expect(html).not.toContain('data-saved')
    expect(html).not.toContain('Saved to server')
    expect(html).toContain('<ul id="messages"></ul>')
    await writeFile(join(project, 'server.html'), html)

    const page = await nodeScript(project, ['clientRender.mjs', server!.url, room, 'server.html', happyDomEntry])
    expect(page.react).toMatch(new RegExp(`^${major}\\.`))
    expect(page.reported).toEqual([])
    expect([...(page.texts as string[])].sort()).toEqual(['from the hook', 'from the server'])
    expect(page.savedServer).toBe(true)
    const listed = (await (await fetch(`${server!.url}/xrpc/com.example.message.listRecords?roomUri=${room}`)).json()) as { records: { value: { text: string } }[] }
    expect(listed.records.map((record) => record.value.text).sort()).toEqual(['from the hook', 'from the server'])
  })
})
