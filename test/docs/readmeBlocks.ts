import { readFileSync } from 'node:fs'

/** A fenced code block of the README: its language, its text, and the line its fence opens on. */
export interface ReadmeBlock {
  language: string
  text: string
  line: number
}

/** Every fenced block of a Markdown file, in order (fences of three backticks, as the README uses). */
export function readFencedBlocks(markdownPath: string): ReadmeBlock[] {
  const lines = readFileSync(markdownPath, 'utf8').split('\n')
  const blocks: ReadmeBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\w*)$/.exec(lines[index] ?? '')
    if (open === null) continue
    const close = lines.indexOf('```', index + 1)
    if (close === -1) throw new Error(`${markdownPath}:${index + 1}: a code fence is never closed`)
    blocks.push({ language: open[1] ?? '', text: lines.slice(index + 1, close).join('\n') + '\n', line: index + 1 })
    index = close
  }
  return blocks
}

/** The example file a block names on its first line (`// docs/examples/name.tsx`), if it names one. */
export function exampleFileOf(block: ReadmeBlock): string | undefined {
  return /^\/\/ (docs\/examples\/[\w-]+\.tsx?)\n/.exec(block.text)?.[1]
}
