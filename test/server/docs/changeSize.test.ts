import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { measureChunks, measureSyncMessage, OP_COST_BYTES } from '../../../src/server/docs/changeSize.js'

/**
 * The server refuses Automerge data it cannot measure, so everything Automerge itself writes
 * must measure, and never below what it holds: checked here against Automerge on random edits.
 */
type Edit =
  | { kind: 'put'; key: string; value: string | number | boolean | null }
  | { kind: 'text'; at: number; remove: number; insert: string }
  | { kind: 'list'; value: number }
  | { kind: 'counter'; by: number }
  | { kind: 'delete'; key: string }
  | { kind: 'raw'; value: string }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c'), value: fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, min: -1e9, max: 1e9 }), fc.boolean(), fc.constant(null)) }),
  fc.record({ kind: fc.constant('text' as const), at: fc.nat(50), remove: fc.nat(5), insert: fc.string({ maxLength: 400 }) }),
  fc.record({ kind: fc.constant('list' as const), value: fc.integer() }),
  fc.record({ kind: fc.constant('counter' as const), by: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ kind: fc.constant('raw' as const), value: fc.string({ maxLength: 2000 }) }),
)

function apply(doc: A.Doc<Record<string, unknown>>, step: Edit): A.Doc<Record<string, unknown>> {
  return A.change(doc, (d) => {
    if (step.kind === 'put') d[step.key] = step.value
    else if (step.kind === 'delete') delete d[step.key]
    else if (step.kind === 'raw') d.raw = new A.RawString(step.value)
    else if (step.kind === 'list') (d.list as number[]).push(step.value)
    else if (step.kind === 'counter') (d.counter as A.Counter).increment(step.by)
    else {
      const text = d.text as string
      const at = Math.min(step.at, text.length)
      A.splice(d, ['text'], at, Math.min(step.remove, text.length - at), step.insert)
    }
  })
}

describe('measureChunks against Automerge', () => {
  it('measures every change, saved document and sync message Automerge writes, at or above its operation count', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (edits) => {
        const start = A.from<Record<string, unknown>>({ text: 'hello', list: [], counter: new A.Counter(0) })
        let doc = start
        for (const step of edits) doc = apply(doc, step)
        for (const change of A.getAllChanges(doc)) {
          const ops = A.decodeChange(change).ops.length
          expect(measureChunks(change, 1e9)).toBeGreaterThanOrEqual(OP_COST_BYTES * ops)
        }
        expect(measureChunks(A.save(doc), 1e9)).toBeGreaterThanOrEqual(OP_COST_BYTES * A.stats(doc).numOps)
        const incremental = new Uint8Array([...A.save(start), ...A.saveSince(doc, A.getHeads(start))])
        expect(measureChunks(incremental, 1e9)).toBeGreaterThanOrEqual(OP_COST_BYTES * A.stats(doc).numOps)
        // What a peer with nothing receives: Automerge sends a whole document chunk.
        let state = A.initSyncState()
        let empty = A.init<Record<string, unknown>>()
        let emptyState = A.initSyncState()
        for (let round = 0; round < 4; round++) {
          const [next, message] = A.generateSyncMessage(doc, state)
          state = next
          if (!message) break
          expect(measureSyncMessage(message, 1e9)).toBeGreaterThanOrEqual(0)
          ;[empty, emptyState] = A.receiveSyncMessage(empty, emptyState, message)
          const [nextEmpty, reply] = A.generateSyncMessage(empty, emptyState)
          emptyState = nextEmpty
          if (reply) [doc, state] = A.receiveSyncMessage(doc, state, reply)
        }
      }),
      { numRuns: 60, seed: 13 },
    )
  })
})
