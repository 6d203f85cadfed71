import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../../src')
/** Every `import … from` and `export … from`, type-only ones included, and `import('…')`. */
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

/** Relative imports of each file under src, as absolute source paths (`.js` names a `.ts` or `.tsx` file). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const files = sourceFiles(ROOT)
  const known = new Set(files)
  const source = (path: string): string => {
    const ts = path.replace(/\.js$/, '.ts')
    return known.has(ts) ? ts : path.replace(/\.js$/, '.tsx')
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets: string[] = []
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2]
      if (specifier === undefined || !specifier.startsWith('.')) continue
      targets.push(source(resolve(dirname(file), specifier)))
    }
    graph.set(file, targets)
  }
  return graph
}

/** The import circles: strongly connected components of more than one file, or a file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const lowLinks = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    indices.set(node, index)
    lowLinks.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!indices.has(next)) {
        visit(next)
        lowLinks.set(node, Math.min(lowLinks.get(node)!, lowLinks.get(next)!))
      } else if (onStack.has(next)) {
        lowLinks.set(node, Math.min(lowLinks.get(node)!, indices.get(next)!))
      }
    }
    if (lowLinks.get(node) !== indices.get(node)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(relative(ROOT, member))
    } while (member !== node)
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort())
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

describe('src imports', () => {
  it('finds the files and their imports (the check below is not vacuous)', () => {
    const graph = importGraph()
    expect(graph.size).toBeGreaterThan(100)
    expect(graph.get(join(ROOT, 'server/index.ts'))).toContain(join(ROOT, 'server/syncServer.ts'))
    expect(graph.get(join(ROOT, 'react/index.ts'))).toContain(join(ROOT, 'react/SyncProvider.tsx'))
  })

  it('have no circles: no file imports a file that imports it back, directly or through others, type-only imports included', () => {
    expect(circles(importGraph())).toEqual([])
  })
})
