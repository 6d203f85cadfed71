import type { SoakResult } from './harness.js'
import { summaryLine } from './harness.js'

/** The human part of a soak's output; the summary line always comes last. */
export function reportLines(result: SoakResult): string[] {
  const lines: string[] = []
  lines.push(`soak: ${result.operations} operations, ${result.acknowledged.records} acknowledged record writes, ${result.acknowledged.docEdits} acknowledged document edits, ${result.unanswered} record writes unanswered (ambiguous, not counted)`)
  lines.push(`soak: faults by kind: ${Object.entries(result.faults).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'}`)
  lines.push(`soak: stalls injected ${result.stalls.injected}, clients that left live while their proxy was stalled (a heartbeat, or another fault at the same time) ${result.stalls.detected}: ${Object.entries(result.stalls.byClient).map(([name, count]) => `${name} ${count}`).join(', ')}`)
  lines.push(`soak: every client live ${result.liveAfterHealMs === null ? 'NOT within 10 s' : `${result.liveAfterHealMs} ms`} after healing`)
  const ignored = Object.entries(result.ignoredErrors)
  if (ignored.length > 0) lines.push(`soak: errors reported through onIgnoredError: ${ignored.map(([message, count]) => `${count}× ${message}`).join('; ')}`)
  lines.push('soak: memory (MB) per phase: operations | soak heap | server RSS')
  for (const sample of result.memory) {
    lines.push(`soak:   phase ${sample.phase}: ${sample.operations} | ${sample.heapMb} | ${Object.entries(sample.rssMb).map(([name, mb]) => `${name} ${mb}`).join(', ')}`)
  }
  for (const verdict of result.growth) {
    lines.push(`soak:   ${verdict.series}: ${verdict.firstMb} → ${verdict.lastMb} MB over ${verdict.points} samples, ${verdict.mbPer1000Ops} MB per 1000 operations, r² ${verdict.r2}${verdict.growing ? ' — GROWING' : ''}`)
  }
  for (const detail of result.details.slice(0, 40)) lines.push(`soak: ${detail}`)
  if (result.details.length > 40) lines.push(`soak: … and ${result.details.length - 40} more`)
  for (const failure of result.failures) lines.push(`soak: FAILED: ${failure}`)
  lines.push(summaryLine(result))
  return lines
}
