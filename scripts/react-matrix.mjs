// `npm run test:react-matrix`: the `react` test project again, on React 17 and 18 (the
// repository itself runs 19). A Vitest alias is not enough: use-sync-external-store's shim and
// @testing-library/react are CommonJS that Node loads from their real paths, and their
// `require('react')` would find the repository's React 19 next to the test's aliased one.
// So each run gets its own root where those packages really are that React's:
//   <tmp>/<major>/install  react@<major>, react-dom@<major> and friends, from the npm registry
//   <tmp>/<major>/root/src ...  symlinks to this repository's sources, tests and configs
//   <tmp>/<major>/root/node_modules/<name>  symlinks: the React-touching packages to install/,
//                                           every other one to this repository's node_modules
// and Vite keeps the symlinked paths (SYNCLINE_PRESERVE_SYMLINKS, read in vite.config.ts), so
// `import 'react'` in src/ resolves from the run's root, not from the repository.
// test/react/reactVersion.test.ts fails unless the React under test is SYNCLINE_EXPECT_REACT.
// React 17 runs with Testing Library 12 (16 needs 18).
// It runs from package.json's `test` script, after `vitest run`, not from inside a Vitest test:
// nested in an e2e worker, its Vitest would compete for the cores with the other e2e files,
// and each failing test would show as one opaque failed assertion.
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const repository = resolve(import.meta.dirname, '..')
const lock = JSON.parse(await readFile(join(repository, 'package-lock.json'), 'utf8'))
const locked = (name) => lock.packages[`node_modules/${name}`].version
/** What each run installs: the lock's Testing Library and shim where the React allows, so only React differs from the main run. */
const MATRIX = {
  18: ['react@18', 'react-dom@18', `@testing-library/react@${locked('@testing-library/react')}`, `@testing-library/dom@${locked('@testing-library/dom')}`, `use-sync-external-store@${locked('use-sync-external-store')}`],
  17: ['react@17', 'react-dom@17', '@testing-library/react@12', `use-sync-external-store@${locked('use-sync-external-store')}`],
}
/** Test files to run (`node scripts/react-matrix.mjs test/react/useStore.test.tsx`); all by default. */
const filters = process.argv.slice(2)
const run = promisify(execFile)
const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error']
/** What React's version decides; everything else the run shares with the repository. */
const reactTouching = ['react', 'react-dom', 'scheduler', '@testing-library/react', 'use-sync-external-store']
/** The root entries a run of the `react` project reads. */
const rootEntries = ['src', 'test', 'vite.config.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']

try {
  await run('npm', ['ping', ...npmFlags], { cwd: repository })
} catch (error) {
  console.log(`react-matrix: skipped, the npm registry cannot be reached (${String(error).split('\n')[0]})`)
  process.exit(0)
}

const started = performance.now()
const workspace = await mkdtemp(join(tmpdir(), 'syncline-react-matrix-'))
let failed = false
try {
  // Both at once, installs and Vitest runs: much of a run is waiting (the network, the reference
  // server, happy-dom's start), so side by side they took 40 s where one after the other took 54.
  const majors = Object.keys(MATRIX)
  const codes = await Promise.all(majors.map(async (major) => runReactProject(major, await prepareRoot(major, join(workspace, major)))))
  failed = codes.some((code) => code !== 0)
} finally {
  await rm(workspace, { recursive: true, force: true })
}
console.log(`react-matrix: React ${Object.keys(MATRIX).join(' and ')} in ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? ', FAILED' : ''}`)
process.exit(failed ? 1 : 0)

/** Installs the run's packages and builds its root; returns the root. */
async function prepareRoot(major, folder) {
  const install = join(folder, 'install')
  const root = join(folder, 'root')
  await mkdir(install, { recursive: true })
  await writeFile(join(install, 'package.json'), JSON.stringify({ name: `syncline-react-${major}`, private: true }))
  await run('npm', ['install', ...MATRIX[major], ...npmFlags], { cwd: install })

  await mkdir(join(root, 'node_modules'), { recursive: true })
  for (const entry of rootEntries) await symlink(join(repository, entry), join(root, entry))
  for (const name of await packageNames(join(repository, 'node_modules'))) {
    const from = reactTouching.includes(name) ? join(install, 'node_modules', name) : join(repository, 'node_modules', name)
    if (name.startsWith('@')) await mkdir(join(root, 'node_modules', name.split('/')[0]), { recursive: true })
    await symlink(from, join(root, 'node_modules', name))
  }
  return root
}

/** Runs the `react` project in `root`; its output is printed in one piece when it ends, so the two runs do not interleave. */
function runReactProject(major, root) {
  const vitest = join(repository, 'node_modules/vitest/vitest.mjs')
  const env = { ...process.env, SYNCLINE_PRESERVE_SYMLINKS: '1', SYNCLINE_EXPECT_REACT: major }
  const output = [`react-matrix: the react project on React ${major} (${MATRIX[major].join(' ')})\n`]
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [vitest, 'run', '--project', 'react', '--root', root, ...filters], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    child.on('error', fail)
    child.on('close', (code) => {
      process.stdout.write(output.join(''))
      done(code ?? 1)
    })
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
