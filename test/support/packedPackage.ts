import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

/**
 * The package as a user gets it: `npm run build`, then `npm pack` into a folder, for tests that
 * install the tarball into a clean project from the npm registry (test/e2e/consumerInstall.test.ts,
 * test/e2e/reactVersions.test.ts, test/e2e/exampleApps.test.ts).
 */
export const run = promisify(execFile)
export const repositoryRoot = resolve(import.meta.dirname, '../..')
export const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error']

/**
 * This process's environment as a user's shell would have it: without the NODE_ENV=test that
 * Vitest sets, which would make `next build` and `vite build` build for development.
 */
export function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_ENV
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name]
  return env
}

export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await run('npm', [...args, ...npmFlags], { cwd, env, maxBuffer: 16 * 1024 * 1024 })).stdout
}

/** Why the npm registry cannot be reached (these tests then skip, saying so), or undefined when it can. */
export async function registryUnreachable(): Promise<string | undefined> {
  try {
    await npm(['ping'], repositoryRoot)
    return undefined
  } catch (error) {
    return String(error).split('\n')[0]
  }
}

export interface PackedLibrary {
  /** Absolute path of the .tgz. */
  tarball: string
  files: { path: string }[]
}

/** Builds the library and packs it into `destination`. */
export function packLibrary(destination: string): Promise<PackedLibrary> {
  return oneBuildAtATime(async () => {
    // As `npm publish` would build it: Vitest's NODE_ENV=test would make Vite emit development JSX.
    await npm(['run', 'build'], repositoryRoot, { ...process.env, NODE_ENV: 'production' })
    const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', destination], repositoryRoot)) as { filename: string; files: { path: string }[] }[]
    const [entry] = packed
    if (entry === undefined) throw new Error('npm pack --json reported no tarball')
    return { tarball: join(destination, entry.filename), files: entry.files }
  })
}

/**
 * `npm run build` empties dist/ first, and the test files that pack run in parallel Vitest
 * workers: without a lock, one would pack while another deletes. The lock is a directory
 * (mkdir is atomic) holding its owner's pid; a dead owner's lock is taken over.
 */
async function oneBuildAtATime<T>(work: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const lock = join(tmpdir(), `syncline-build-${createHash('sha256').update(repositoryRoot).digest('hex').slice(0, 12)}.lock`)
  const deadline = Date.now() + timeoutMs
  while (!(await tryLock(lock))) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for the build lock ${lock}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  try {
    return await work()
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

async function tryLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock)
    await writeFile(join(lock, 'pid'), String(process.pid))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => 'NaN'))
    // No pid yet: its owner is between mkdir and writeFile.
    if (Number.isInteger(owner) && !isAlive(owner)) await rm(lock, { recursive: true, force: true })
    return false
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Every package actually on disk under node_modules (npm ls also lists absent optional peers), as `name@version`. */
export async function installedPackages(project: string): Promise<string[]> {
  const found: string[] = []
  const visit = async (modules: string): Promise<void> => {
    const entries = await readdir(modules, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue
      const dirs = entry.name.startsWith('@') ? (await readdir(join(modules, entry.name))).map((name) => join(entry.name, name)) : [entry.name]
      for (const dir of dirs) {
        const { name, version } = JSON.parse(await readFile(join(modules, dir, 'package.json'), 'utf8')) as { name: string; version: string }
        found.push(`${name}@${version}`)
        await visit(join(modules, dir, 'node_modules'))
      }
    }
  }
  await visit(join(project, 'node_modules'))
  return found.sort()
}
