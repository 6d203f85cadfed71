import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { playwright } from '@vitest/browser-playwright'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'
import pkg from './package.json' with { type: 'json' }

const external = [
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  ...builtinModules,
].flatMap((name) => [name, new RegExp(`^${name}/`)])

/** Debian's Chromium; Playwright's own browser download does not work on our machines. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export { chromiumArgs, chromiumPath }

/**
 * `vite build` ships JSX as `React.createElement` calls. The automatic runtime's
 * `import 'react/jsx-runtime'` does not load in Node's ESM loader under React 17, whose
 * package has no exports map (Node wants `react/jsx-runtime.js`, which 18 and 19 do not
 * export): server rendering with React 17 failed (test/e2e/reactVersions.test.ts). Only the
 * `vite build` command: Vitest, Storybook and the dev servers keep the automatic runtime.
 */
const libraryBuild = /[\\/](?:vite[\\/]bin[\\/]vite\.js|\.bin[\\/]vite)$/.test(process.argv[1] ?? '') && process.argv[2] === 'build'

/**
 * The classic runtime's `React.createElement` needs `React` in scope, which the sources do not
 * import. The import goes at the end of the first line, after `'use client'` (which must stay
 * first), so no code moves and the source map stays right (`map: null`).
 */
const reactInScope: Plugin = {
  name: 'syncline:react-in-scope',
  enforce: 'post',
  transform(code, id) {
    if (!id.endsWith('.tsx') || !code.includes('React.createElement')) return null
    const lineEnd = code.indexOf('\n')
    const firstLine = lineEnd === -1 ? code : code.slice(0, lineEnd)
    const directive = /^(['"])use client\1;?$/.test(firstLine.trim())
    const withReact = directive ? `${firstLine}import * as React from 'react';${code.slice(firstLine.length)}` : `import * as React from 'react';${code}`
    return { code: withReact, map: null }
  },
}

/**
 * scripts/react-matrix.mjs runs the `react` project from a temporary root whose src/ and test/
 * are symlinks to this repository and whose node_modules holds React 18: Vite must keep those
 * paths, or it would resolve `react` next to the real src/ (this repository's React 19).
 */
const preserveSymlinks = process.env.SYNCLINE_PRESERVE_SYMLINKS === '1'

export default defineConfig({
  resolve: { preserveSymlinks },
  plugins: libraryBuild ? [react({ jsxRuntime: 'classic' }), reactInScope] : [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: {
      entry: {
        index: resolve(import.meta.dirname, 'src/index.ts'),
        'core/index': resolve(import.meta.dirname, 'src/core/index.ts'),
        'server/index': resolve(import.meta.dirname, 'src/server/index.ts'),
        'devtools/index': resolve(import.meta.dirname, 'src/devtools/index.ts'),
        'devtools/production': resolve(import.meta.dirname, 'src/devtools/production.ts'),
        'server/cli': resolve(import.meta.dirname, 'src/server/cli.ts'),
      },
      formats: ['es'],
    },
    rolldownOptions: {
      external: [...external, /^node:/],
      output: { preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
    },
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', environment: 'node', include: ['test/wire/**/*.test.ts', 'test/docs/**/*.test.ts', 'test/core/**/*.test.ts', 'test/server/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/bench/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'react', environment: 'happy-dom', include: ['test/react/**/*.test.{ts,tsx}'] },
      },
      {
        extends: true,
        // A real Chromium driven by playwright-core against the dev servers: reloads, two tabs.
        // expect.poll waits for explicit page conditions; its 1 s default is shorter than a
        // loaded 2-core machine takes to load and compile Automerge's wasm in a fresh page.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          expect: { poll: { timeout: 15_000, interval: 50 } },
        },
      },
      {
        extends: true,
        // Document code loads these lazily (dynamic import), and each test file brings its own,
        // so Vite's scan finds them only mid-run and reloads the page (the test then times
        // out); pre-bundle them so a fresh machine runs clean.
        optimizeDeps: {
          include: [
            '@automerge/automerge/slim',
            '@automerge/automerge/automerge.wasm.base64',
            'cbor-x',
            'bs58check',
            'idb',
            'react',
            'react/jsx-dev-runtime',
            'react-dom',
            'react-dom/client',
            '@testing-library/react',
            '@storybook/react',
          ],
        },
        // Stories import the library as 'syncline', as an app would.
        resolve: { alias: { syncline: resolve(import.meta.dirname, 'src/index.ts') } },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.{ts,tsx}'],
          globalSetup: ['test/browser/globalSetup.ts'],
          // As for e2e: the waits are for explicit conditions, and 1 s (the default) is shorter
          // than a loaded machine can take while the other projects share its 2 cores. In the
          // loaded run of 2026-12-03, clearLocalData's first wait (a store going live, 0.2 s
          // on its own, loaded or not) ran past 1 s with the whole suite alongside.
          expect: { poll: { timeout: 15_000, interval: 50 } },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        // Every Storybook story, rendered in Chromium (portable stories). The same Vite plugin
        // as in `storybook dev` starts the stories' reference server (on a free port) and serves
        // its /__syncline stop/start routes, so the connection stories' buttons work here too.
        plugins: [import('./.storybook/storyServer.js').then(({ storyServerPlugin }) => storyServerPlugin(0))],
        optimizeDeps: {
          include: [
            '@automerge/automerge/slim',
            '@automerge/automerge/automerge.wasm.base64',
            'cbor-x',
            'bs58check',
            'idb',
            'react',
            'react/jsx-dev-runtime',
            'react-dom',
            'react-dom/client',
            '@testing-library/react',
            '@storybook/react',
          ],
        },
        resolve: { alias: { syncline: resolve(import.meta.dirname, 'src/index.ts') } },
        test: {
          name: 'stories',
          include: ['test/stories/**/*.test.{ts,tsx}'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
