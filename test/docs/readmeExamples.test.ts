// The README's TypeScript blocks are real files in docs/examples, checked here: each block is
// byte-identical to its file (so the two cannot drift), and every file compiles under the
// strictest settings a new app is likely to have (a pasted example must build as it is).
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { exampleFileOf, readFencedBlocks } from './readmeBlocks.js'

const root = resolve(import.meta.dirname, '../..')
const examplesDir = join(root, 'docs/examples')
const blocks = readFencedBlocks(join(root, 'README.md'))
const codeBlocks = blocks.filter((block) => block.language === 'ts' || block.language === 'tsx')
const exampleFiles = readdirSync(examplesDir).filter((name) => /\.tsx?$/.test(name)).sort()

/** What a strict app template (Vite's react-ts, plus exactOptionalPropertyTypes) checks. */
const strictOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  jsx: ts.JsxEmit.ReactJSX,
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
  typeRoots: [join(root, 'node_modules/@types')],
  paths: {
    syncline: [join(root, 'src/index.ts')],
    'syncline/core': [join(root, 'src/core/index.ts')],
    'syncline/server': [join(root, 'src/server/index.ts')],
    'syncline/devtools': [join(root, 'src/devtools/index.ts')],
  },
}

describe('README examples', () => {
  it('has only TypeScript blocks (checked below) and shell blocks (commands, not compiled)', () => {
    const other = blocks.filter((block) => !['ts', 'tsx', 'sh'].includes(block.language)).map((block) => `README.md:${block.line} (${block.language || 'no language'})`)
    expect(other).toEqual([])
  })

  it('names an example file on the first line of every TypeScript block', () => {
    const unnamed = codeBlocks.filter((block) => exampleFileOf(block) === undefined).map((block) => `README.md:${block.line}`)
    expect(unnamed).toEqual([])
    expect(codeBlocks.length).toBeGreaterThan(0)
  })

  it('shows every example file in the README exactly once', () => {
    const named = codeBlocks.map(exampleFileOf).map((path) => path?.replace('docs/examples/', ''))
    expect([...named].sort()).toEqual(exampleFiles)
  })

  it.each(codeBlocks.map((block) => [exampleFileOf(block) ?? `README.md:${block.line}`, block] as const))(
    '%s is byte-identical to its README block',
    (path, block) => {
      expect(block.text).toBe(readFileSync(join(root, path), 'utf8'))
    },
  )

  it('type-checks every example under strict, noUnusedLocals/Parameters and exactOptionalPropertyTypes', () => {
    const files = exampleFiles.map((name) => join(examplesDir, name))
    const program = ts.createProgram(files, strictOptions)
    const problems = files.flatMap((file) => {
      const source = program.getSourceFile(file)
      if (source === undefined) return [`${file}: not loaded`]
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
        const where = diagnostic.start === undefined ? '' : `:${source.getLineAndCharacterOfPosition(diagnostic.start).line + 1}`
        return `docs/examples/${file.slice(examplesDir.length + 1)}${where} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`
      })
    })
    expect(problems).toEqual([])
  }, 120_000)
})
