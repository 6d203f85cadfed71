// `npm run test:react-matrix`: the `react` test project again, on React 18 (the repository
// itself runs 19). A Vitest alias is not enough: use-sync-external-store's shim and
// @testing-library/react are CommonJS that Node loads from their real paths, and their
// `require('react')` would find the repository's React 19 next to the test's aliased 18.
// So the run gets its own root where those packages really are React 18's:
//   <tmp>/install       react@18, react-dom@18 and friends, installed from the npm registry
//   <tmp>/root/src ...  symlinks to this repository's sources, tests and configs
//   <tmp>/root/node_modules/<name>  symlinks: the React-touching packages to <tmp>/install,
//                                   every other one to this repository's node_modules
// and Vite keeps the symlinked paths (SYNCLINE_PRESERVE_SYMLINKS, read in vite.config.ts), so
// `import 'react'` in src/ resolves from <tmp>/root, not from the repository.
// test/react/reactVersion.test.ts fails unless the React under test is SYNCLINE_EXPECT_REACT.
// It runs from package.json's `test` script, after `vitest run`, not from inside a Vitest test:
// nested in an e2e worker, its Vitest would compete for the cores with the other e2e files,
// and each failing React 18 test would show as one opaque failed assertion.
// React 17 is not here: @testing-library/react 16 needs 18; test/e2e/reactVersions.test.ts
// covers 17 (and 18) as a user installs them.
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const MAJORS = ['18']
/** Test files to run (`node scripts/react-matrix.mjs test/react/useStore.test.tsx`); all by default. */
const filters = process.argv.slice(2)
const run = promisify(execFile)
const repository = resolve(import.meta.dirname, '..')
const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error']
/** What React's version decides; everything else the run shares with the repository. */
const reactTouching = ['react', 'react-dom', 'scheduler', '@testing-library/react', 'use-sync-external-store']
/** The root entries a run of the `react` project reads. */
const rootEntries = ['src', 'test', 'vite.config.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']

const lock = JSON.parse(await readFile(join(repository, 'package-lock.json'), 'utf8'))
const locked = (name) => lock.packages[`node_modules/${name}`].version

try {
  await run('npm', ['ping', ...npmFlags], { cwd: repository })
} catch (error) {
  console.log(`react-matrix: skipped, the npm registry cannot be reached (${String(error).split('\n')[0]})`)
  process.exit(0)
}

const started = performance.now()
let failed = false
for (const major of MAJORS) {
  const workspace = await mkdtemp(join(tmpdir(), `syncline-react-${major}-`))
  try {
    if ((await runReactProject(major, workspace)) !== 0) failed = true
  } finally {
    await rm(workspace, { recursive: true, force: true })
  }
}
console.log(`react-matrix: React ${MAJORS.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? ', FAILED' : ''}`)
process.exit(failed ? 1 : 0)

async function runReactProject(major, workspace) {
  const install = join(workspace, 'install')
  const root = join(workspace, 'root')
  await mkdir(install)
  await writeFile(join(install, 'package.json'), JSON.stringify({ name: `syncline-react-${major}`, private: true }))
  // The lock's @testing-library/* and shim, so only React's version differs from the main run.
  const packages = [`react@${major}`, `react-dom@${major}`, `@testing-library/react@${locked('@testing-library/react')}`, `@testing-library/dom@${locked('@testing-library/dom')}`, `use-sync-external-store@${locked('use-sync-external-store')}`]
  await run('npm', ['install', ...packages, ...npmFlags], { cwd: install })

  await mkdir(join(root, 'node_modules'), { recursive: true })
  for (const entry of rootEntries) await symlink(join(repository, entry), join(root, entry))
  for (const name of await packageNames(join(repository, 'node_modules'))) {
    const from = reactTouching.includes(name) ? join(install, 'node_modules', name) : join(repository, 'node_modules', name)
    if (name.startsWith('@')) await mkdir(join(root, 'node_modules', name.split('/')[0]), { recursive: true })
    await symlink(from, join(root, 'node_modules', name))
  }

  const vitest = join(repository, 'node_modules/vitest/vitest.mjs')
  const env = { ...process.env, SYNCLINE_PRESERVE_SYMLINKS: '1', SYNCLINE_EXPECT_REACT: major }
  console.log(`react-matrix: the react project on React ${major} (${packages.join(' ')})`)
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [vitest, 'run', '--project', 'react', '--root', root, ...filters], { cwd: root, env, stdio: 'inherit' })
    child.on('error', fail)
    child.on('exit', (code) => done(code ?? 1))
  })
}

/** Top-level package names in a node_modules folder (`@scope/name` for scoped ones), without `.bin`. */
async function packageNames(modules) {
  const names = []
  for (const entry of await readdir(modules)) {
    if (entry.startsWith('.')) continue
    if (entry.startsWith('@')) for (const scoped of await readdir(join(modules, entry))) names.push(`${entry}/${scoped}`)
    else names.push(entry)
  }
  return names
}
