import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

/**
 * The package as a user gets it: `npm run build`, `npm pack`, and `npm install <tarball>` into a
 * project outside the repository. Shared by the e2e tests that install the packed library.
 */
const run = promisify(execFile)
export const repositoryRoot = resolve(import.meta.dirname, '../..')
export const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error']

export interface NpmOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>
  timeoutMs?: number
}

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

/** Runs npm in `cwd` and resolves with its stdout; rejects with npm's output when it fails. */
export async function npm(args: readonly string[], cwd: string, options: NpmOptions = {}): Promise<string> {
  const env = userEnvironment(options.env)
  return (await run('npm', [...args], { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 0 })).stdout
}

/** Why the npm registry cannot be reached (the first line of `npm ping`'s failure), or undefined when it can. */
export async function registryUnreachable(): Promise<string | undefined> {
  try {
    await npm(['ping', ...npmFlags], repositoryRoot, { timeoutMs: 30_000 })
    return undefined
  } catch (error) {
    return String(error).split('\n')[0]
  }
}

export interface PackedLibrary {
  /** The tarball's absolute path. */
  tarball: string
  files: { path: string }[]
}

/** Builds the library (`npm run build`) and packs it into `destination`. */
export async function buildAndPack(destination: string): Promise<PackedLibrary> {
  await npm(['run', 'build'], repositoryRoot)
  const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', destination, ...npmFlags], repositoryRoot)) as { filename: string; files: { path: string }[] }[]
  const { filename, files } = packed[0]!
  return { tarball: resolve(destination, filename), files }
}
