// The example apps (examples/vite-react, examples/next-app-router) as a user runs them: the
// library packed (`npm pack`), each example copied out of the repository and installed with the
// tarball and its pinned versions from the npm registry, built (`vite build`, `next build`), served
// (`vite preview`, `next start`), and opened in two Chromium pages against `syncline serve` from
// the installed package's bin. Each page fails the test on any console error or hydration warning.
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { npm, packLibrary, registryUnreachable, repositoryRoot, userEnvironment } from '../support/packedPackage.js'
import type { ServeProcess } from '../support/serveProcess.js'
import { startServeProcess } from '../support/serveProcess.js'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

interface ExampleApp {
  name: string
  /** Environment for the build: the server's address is read at build time. */
  buildEnv: (serverUrl: string) => Record<string, string>
  /** The serving command (a script under the example's node_modules and its arguments) on `port`. */
  serve: (port: number) => string[]
}

const apps: ExampleApp[] = [
  {
    name: 'vite-react',
    buildEnv: (serverUrl) => ({ VITE_SYNCLINE_SERVER: serverUrl }),
    serve: (port) => ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
  },
  {
    name: 'next-app-router',
    buildEnv: (serverUrl) => ({ SYNCLINE_SERVER: serverUrl }),
    serve: (port) => ['node_modules/next/dist/bin/next', 'start', '--hostname', '127.0.0.1', '--port', String(port)],
  },
]

const quiet = { NEXT_TELEMETRY_DISABLED: '1' }
let unreachable: string | undefined
let work: string | undefined
let server: ServeProcess | undefined
let browser: Browser | undefined
const servers: ChildProcess[] = []
const appUrls = new Map<string, string>()
const timings: string[] = []

async function timed<T>(what: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now()
  const result = await step()
  timings.push(`${what} ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return result
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Starts an example's server in its own process group (so afterAll ends its children too), and waits for it to answer. */
async function serveApp(app: ExampleApp, folder: string): Promise<string> {
  const port = await freePort()
  const child = spawn(process.execPath, app.serve(port), { cwd: folder, env: userEnvironment(quiet), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  servers.push(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://127.0.0.1:${port}/`
  const deadline = Date.now() + 60_000
  // expect.poll works only inside a test; this runs in beforeAll.
  while ((await fetch(url).then((response) => response.status, () => 0)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${app.name} did not serve ${url}: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return url
}

beforeAll(async () => {
  unreachable = await registryUnreachable()
  if (unreachable !== undefined) return
  const started = performance.now()
  work = await mkdtemp(join(tmpdir(), 'syncline-examples-'))
  const { tarball } = await timed('build + pack', () => packLibrary(work!))
  const folders = new Map(apps.map((app) => [app.name, join(work!, app.name)]))
  // Both installs at once: they wait on the network more than on the two cores.
  await timed('both installs', () =>
    Promise.all(
      apps.map(async (app) => {
        const folder = folders.get(app.name)!
        const skipped = ['node_modules', 'dist', '.next', '.syncline-data', 'next-env.d.ts', 'package-lock.json']
        await cp(join(repositoryRoot, 'examples', app.name), folder, { recursive: true, filter: (source) => !skipped.some((name) => source.endsWith(`/${name}`)) })
        await timed(`install ${app.name}`, () => npm(['install', tarball], folder, userEnvironment()))
      }),
    ),
  )
  // The reference server from the installed package's bin (what `npx syncline serve` runs), with embedded (file) storage.
  server = await startServeProcess(['--data', join(work, 'server-data')], { cliPath: join(folders.get('vite-react')!, 'node_modules/.bin/syncline') })
  // One build at a time (`npm run build`: tsc --noEmit && vite build; next build): each uses both cores.
  for (const app of apps) await timed(`build ${app.name}`, () => npm(['run', 'build'], folders.get(app.name)!, userEnvironment({ ...quiet, ...app.buildEnv(server!.url) })))
  for (const app of apps) appUrls.set(app.name, await serveApp(app, folders.get(app.name)!))
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  timings.push(`setup total ${((performance.now() - started) / 1000).toFixed(1)} s`)
  console.log(`exampleApps: ${timings.join(', ')}`)
}, 420_000)

afterAll(async () => {
  await browser?.close()
  for (const child of servers) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid!, 'SIGTERM')
      await exited
    }
  }
  await server?.stop()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
}, 60_000)

/**
 * Console errors, hydration warnings and uncaught errors of every page: each test fails on them.
 * A production React build reports a hydration mismatch as an uncaught "Minified React error
 * #418" (a page error; checked by hand with a `typeof window` text in the Next client tree), a
 * development build as a console error naming hydration.
 */
let pageProblems: string[] = []
afterEach(() => {
  const problems = pageProblems
  pageProblems = []
  expect(problems).toEqual([])
})

async function openPage(url: string): Promise<Page> {
  const page = await (await browser!.newContext()).newPage()
  page.on('pageerror', (error) => pageProblems.push(String(error)))
  page.on('console', (message) => {
    const hydration = /hydrat/i.test(message.text())
    if (message.type() === 'error' || hydration) pageProblems.push(`${message.type()}: ${message.text()} (${message.location().url})`)
  })
  await page.goto(url)
  return page
}

const badgeStatus = (page: Page) => page.locator('[role="status"]').getAttribute('data-status')
/** The document URL the app put in the address once it created (or opened) the list. */
const listInAddress = (page: Page) => new URL(page.url()).hash

describe.each(apps.map((app) => app.name))('examples/%s, built and served, in two Chromium pages', (name) => {
  it('shows a record put on page A on page B, and a document edit made on A on B', async (context) => {
    if (unreachable !== undefined) {
      console.log(`exampleApps: skipped, the npm registry cannot be reached (${unreachable})`)
      return context.skip('the npm registry cannot be reached')
    }
    const a = await openPage(appUrls.get(name)!)
    await expect.poll(() => badgeStatus(a)).toBe('live')
    // With no list in the address, page A creates one and puts its URL there; page B opens that address.
    await expect.poll(() => listInAddress(a).startsWith('#automerge:')).toBe(true)
    const b = await openPage(a.url())
    await expect.poll(() => badgeStatus(b)).toBe('live')
    // B opened A's list: hydration did not make it create one of its own.
    expect(listInAddress(b)).toBe(listInAddress(a))

    const entry = `hello from A in ${name} (${Date.now()})`
    await a.getByRole('textbox', { name: 'Entry' }).fill(entry)
    await a.getByRole('button', { name: 'Sign' }).click()
    // Both apps sign the same guestbook on one server: look for this entry, not an exact list.
    await expect.poll(() => b.locator('ul.entries li').allTextContents()).toContain(entry)

    const item = `milk, added on A in ${name}`
    await a.getByRole('textbox', { name: 'Item' }).fill(item)
    await a.getByRole('button', { name: 'Add' }).click()
    await expect.poll(() => b.locator('ol.items li').allTextContents()).toEqual([item])
    await expect.poll(() => a.locator('.saved').getAttribute('data-saved')).toBe('server')
    expect(listInAddress(b)).toBe(listInAddress(a))
    await a.context().close()
    await b.context().close()
  })
})
