/** One dispatched `text/event-stream` event. */
export interface SseEvent {
  /** The `event:` field; 'message' when the frame named none. */
  event: string
  /** The `data:` lines of the frame, joined with '\n'. */
  data: string
}

export interface SseParser {
  /** Feeds the next piece of decoded text; chunks may split lines (and `\r\n`) anywhere. */
  feed(chunk: string): void
}

const LF = 10

/**
 * A streaming parser for the `text/event-stream` format (WHATWG HTML §9.2.6).
 *
 * It sits on the hot path of snapshots with many thousands of frames, so it works on whole
 * lines found with `indexOf` rather than character by character. `id` and `retry` are
 * deliberately ignored: reconnecting is the state machine's job, not the stream's.
 */
export function createSseParser(onEvent: (event: SseEvent) => void, onComment?: () => void): SseParser {
  /** The unterminated tail of the previous chunk. */
  let pending = ''
  /** The previous chunk ended in '\r': a '\n' starting the next one belongs to it. */
  let skipLeadingLf = false
  let first = true
  let eventType = ''
  let data: string | null = null

  const line = (text: string, start: number, end: number): void => {
    if (start === end) {
      // A blank line dispatches the frame; a frame without data dispatches nothing.
      if (data !== null) onEvent({ event: eventType || 'message', data })
      eventType = ''
      data = null
      return
    }
    const colon = text.indexOf(':', start)
    if (colon === start) {
      onComment?.()
      return
    }
    let field: string
    let value: string
    if (colon === -1 || colon >= end) {
      field = text.slice(start, end)
      value = ''
    } else {
      field = text.slice(start, colon)
      const valueStart = text.charCodeAt(colon + 1) === 32 && colon + 1 < end ? colon + 2 : colon + 1
      value = text.slice(valueStart, end)
    }
    if (field === 'data') data = data === null ? value : data + '\n' + value
    else if (field === 'event') eventType = value
    // 'id', 'retry' and unknown fields are ignored.
  }

  return {
    feed(chunk: string): void {
      if (chunk.length === 0) return
      const text = pending.length > 0 ? pending + chunk : chunk
      let position = 0
      if (first) {
        first = false
        if (text.charCodeAt(0) === 0xfeff) position = 1
      }
      if (skipLeadingLf) {
        skipLeadingLf = false
        if (text.charCodeAt(position) === LF) position++
      }
      // The pending tail holds no terminator, so searching starts after it. The next '\r' and
      // '\n' are remembered, so a stream that uses only one of them is not rescanned per line.
      const searchFrom = Math.max(position, pending.length)
      let nextLf = text.indexOf('\n', searchFrom)
      let nextCr = text.indexOf('\r', searchFrom)
      while (nextLf !== -1 || nextCr !== -1) {
        const end = nextCr === -1 || (nextLf !== -1 && nextLf < nextCr) ? nextLf : nextCr
        line(text, position, end)
        position = end + 1
        if (end === nextCr) {
          if (position === text.length) {
            skipLeadingLf = true
          } else if (text.charCodeAt(position) === LF) {
            position++
          }
          nextCr = text.indexOf('\r', position)
        }
        if (nextLf !== -1 && nextLf < position) nextLf = text.indexOf('\n', position)
      }
      pending = position < text.length ? text.slice(position) : ''
    },
  }
}
