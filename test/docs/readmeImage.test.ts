import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }

const root = resolve(import.meta.dirname, '../..')

/**
 * The npm registry page renders the README without the package's files, so a relative image
 * path shows nothing there. The image is the copy shipped with this very version on unpkg.
 */
it("the README's image is an absolute link to the screenshot shipped with this version", async () => {
  const readme = await readFile(resolve(root, 'README.md'), 'utf8')
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1])
  expect(images).toEqual([`https://unpkg.com/${pkg.name}@${pkg.version}/docs/playground.png`])
  expect(pkg.files).toContain('docs/playground.png')
  expect((await stat(resolve(root, 'docs/playground.png'))).size).toBeGreaterThan(0)
})
