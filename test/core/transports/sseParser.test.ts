import { describe, expect, it } from 'vitest'
import { createSseParser } from '../../../src/core/records/sseParser.js'
import type { SseEvent } from '../../../src/core/records/sseParser.js'

function parse(chunks: readonly string[]): { events: SseEvent[]; comments: number } {
  const events: SseEvent[] = []
  let comments = 0
  const parser = createSseParser((event, data) => events.push({ event, data }), () => comments++)
  for (const chunk of chunks) parser.feed(chunk)
  return { events, comments }
}

/** Every way of cutting `text` into two and three pieces must parse the same. */
function everySplit(text: string): string[][] {
  const splits: string[][] = [[text]]
  for (let i = 1; i < text.length; i++) {
    splits.push([text.slice(0, i), text.slice(i)])
    for (let j = i + 1; j < text.length; j++) splits.push([text.slice(0, i), text.slice(i, j), text.slice(j)])
  }
  return splits
}

describe('createSseParser', () => {
  it('dispatches a frame on the blank line, with the event name and data', () => {
    expect(parse(['event: snapshot.start\ndata: {"a":1}\n\n']).events).toEqual([{ event: 'snapshot.start', data: '{"a":1}' }])
  })

  it("defaults the event to 'message' and resets it after each frame", () => {
    const { events } = parse(['event: one\ndata: 1\n\ndata: 2\n\n'])
    expect(events).toEqual([{ event: 'one', data: '1' }, { event: 'message', data: '2' }])
  })

  it('joins data lines with \\n and strips exactly one space after the colon', () => {
    const { events } = parse(['data:first\ndata:  second\ndata\ndata: \n\n'])
    expect(events).toEqual([{ event: 'message', data: 'first\n second\n\n' }])
  })

  it('keeps colons inside the value', () => {
    expect(parse(['data: {"uri":"at://x/y/z"}\n\n']).events[0]?.data).toBe('{"uri":"at://x/y/z"}')
  })

  it('reports comments and does not dispatch them', () => {
    const { events, comments } = parse([': keepalive\n\n:\n', 'event: e\n: in between\ndata: x\n\n'])
    expect(comments).toBe(3)
    expect(events).toEqual([{ event: 'e', data: 'x' }])
  })

  it('does not dispatch a frame without data, nor an unterminated one', () => {
    expect(parse(['event: nothing\n\n', 'event: half\ndata: x\n']).events).toEqual([])
  })

  it('ignores id, retry and unknown fields', () => {
    expect(parse(['id: 7\nretry: 10\nfoo: bar\ndata: x\n\n']).events).toEqual([{ event: 'message', data: 'x' }])
  })

  it('takes only the exact field names: not their prefixes, extensions or other cases', () => {
    const { events } = parse(['event: kept\neventx: no\nevents: no\nEvent: no\ndat: no\ndatas: no\nDATA: no\ndata: x\nevent\n\n'])
    // The bare `event` line (no colon) sets an empty name, which dispatches as 'message'.
    expect(events).toEqual([{ event: 'message', data: 'x' }])
    expect(parse(['event: kept\ndatum: no\ndata: y\n\n']).events).toEqual([{ event: 'kept', data: 'y' }])
  })

  it('strips a leading byte order mark', () => {
    expect(parse(['\uFEFFdata: x\n\n']).events).toEqual([{ event: 'message', data: 'x' }])
  })

  it.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
    ['\\r', '\r'],
  ])('parses %s line endings the same at every chunk boundary', (_name, eol) => {
    const text = `: hi${eol}event: a${eol}data: 1${eol}data: 2${eol}${eol}data: 3${eol}${eol}`
    const expected = [{ event: 'a', data: '1\n2' }, { event: 'message', data: '3' }]
    for (const chunks of everySplit(text)) {
      const { events, comments } = parse(chunks)
      expect({ chunks, events, comments }).toEqual({ chunks, events: expected, comments: 1 })
    }
  })

  it('does not read a \\r\\n split across chunks as two line breaks', () => {
    const { events } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }])
  })

  it('handles mixed line endings and a long line fed in many pieces', () => {
    const long = 'x'.repeat(10_000)
    const chunks = [`data: ${long.slice(0, 10)}`, ...Array.from({ length: 999 }, (_, i) => long.slice(10 + i * 10, 20 + i * 10)), '\r\n\ndata: y\r\r']
    expect(parse(chunks).events).toEqual([{ event: 'message', data: long }, { event: 'message', data: 'y' }])
  })

  it('parses a large snapshot quickly', () => {
    const frameText = `event: snapshot.record\ndata: ${JSON.stringify({ record: { uri: 'at://d/c/r', value: { text: 'hello' } } })}\n\n`
    const body = frameText.repeat(100_000)
    let count = 0
    const parser = createSseParser(() => count++)
    const started = performance.now()
    for (let i = 0; i < body.length; i += 16_384) parser.feed(body.slice(i, i + 16_384))
    const elapsed = performance.now() - started
    expect(count).toBe(100_000)
    expect(elapsed).toBeLessThan(1000)
  })

  it('scans each character a bounded number of times when a long line comes in many chunks (it was quadratic)', () => {
    // Work is counted, not timed: every character of every string indexOf runs over. Joining
    // the unfinished line with each new chunk made that sum grow with the square of the line.
    const length = 4_000_000
    const piece = 'x'.repeat(16_384)
    const events: SseEvent[] = []
    const parser = createSseParser((event, data) => events.push({ event, data }), { maxLength: 2 * length })
    let scanned = 0
    const indexOf = String.prototype.indexOf
    String.prototype.indexOf = function (this: string, search: string, from?: number) {
      scanned += this.length
      return indexOf.call(this, search, from)
    }
    try {
      parser.feed('data: ')
      for (let sent = 0; sent < length; sent += piece.length) parser.feed(piece)
      parser.feed('\n\n')
    } finally {
      String.prototype.indexOf = indexOf
    }
    expect(events.length).toBe(1)
    expect(events[0]!.data.length).toBe(Math.ceil(length / piece.length) * piece.length)
    expect(scanned).toBeLessThan(10 * length)
  })

  it.each([
    ['a line without a line break, in pieces', ['data: ', 'x'.repeat(60), 'x'.repeat(60)]],
    ['a line in one chunk', [`data: ${'x'.repeat(200)}\n`]],
    ['an unfinished line in one chunk', [`data: ${'x'.repeat(200)}`]],
    ['an event of many short data lines', [Array.from({ length: 30 }, () => 'data: 0123456789\n').join('')]],
  ])('stops at maxLength, once, for %s', (_name, chunks) => {
    const events: SseEvent[] = []
    const tooLong: number[] = []
    const parser = createSseParser((event, data) => events.push({ event, data }), { maxLength: 100, onTooLong: (length) => tooLong.push(length) })
    parser.feed('data: ok\n\n')
    for (const chunk of chunks) parser.feed(chunk)
    parser.feed('\n\ndata: after\n\n')
    expect(events).toEqual([{ event: 'message', data: 'ok' }])
    expect(tooLong.length).toBe(1)
    expect(tooLong[0]).toBeGreaterThan(100)
  })

  it('accepts lines and events of exactly maxLength', () => {
    const events: SseEvent[] = []
    const parser = createSseParser((event, data) => events.push({ event, data }), { maxLength: 100, onTooLong: () => events.push({ event: 'too long', data: '' }) })
    parser.feed(`data:${'x'.repeat(45)}`)
    parser.feed(`${'x'.repeat(50)}\n\n`)
    expect(events).toEqual([{ event: 'message', data: 'x'.repeat(95) }])
  })
})
