/**
 * One dispatched `text/event-stream` event, as `onEvent(event, data)` gets it (two arguments,
 * not an object: one object less per event on every stream).
 */
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

export interface SseParserOptions {
  /** Called for each comment line (keepalives). */
  onComment?: () => void
  /**
   * Longest line, and longest event (its data lines together), in characters. Past it the
   * parser calls `onTooLong` once and reads nothing more: a server, or something in between,
   * that never ends a line must not grow memory without bound. @default DEFAULT_MAX_EVENT_LENGTH
   */
  maxLength?: number
  onTooLong?: (length: number) => void
}

/** 4 Mi characters: far above any event the reference server sends (its bodies are at most 1 MiB). */
export const DEFAULT_MAX_EVENT_LENGTH = 4 * 1024 * 1024

const LF = 10

/**
 * A streaming parser for the `text/event-stream` format (WHATWG HTML §9.2.6).
 *
 * It sits on the hot path of snapshots with many thousands of frames, so it works on whole
 * lines found with `indexOf` rather than character by character, and every character is
 * scanned a bounded number of times: chunks of an unfinished line are kept apart and joined
 * once the line ends (concatenating them as they come would rescan the whole line per chunk).
 * `id` and `retry` are deliberately ignored: reconnecting is the state machine's job.
 */
export function createSseParser(onEvent: (event: string, data: string) => void, options: SseParserOptions | (() => void) = {}): SseParser {
  const { onComment, maxLength = DEFAULT_MAX_EVENT_LENGTH, onTooLong } = typeof options === 'function' ? { onComment: options } : options
  /** The pieces of the unterminated line so far (none holds a line break), and their length. */
  let pending: string[] = []
  let pendingLength = 0
  /** The previous chunk ended in '\r': a '\n' starting the next one belongs to it. */
  let skipLeadingLf = false
  let first = true
  let stopped = false
  let eventType = ''
  let lastEventType = ''
  let data: string | null = null
  /** The next ':' at or after the current line's start in the text being parsed, or -1. */
  let nextColon = -1

  const tooLong = (length: number): void => {
    stopped = true
    pending = []
    data = null
    onTooLong?.(length)
  }

  const line = (text: string, start: number, end: number): void => {
    if (start === end) {
      // A blank line dispatches the frame; a frame without data dispatches nothing.
      if (data !== null) onEvent(eventType || 'message', data)
      eventType = ''
      data = null
      return
    }
    if (nextColon !== -1 && nextColon < start) nextColon = text.indexOf(':', start)
    const colon = nextColon !== -1 && nextColon < end ? nextColon : -1
    if (colon === start) {
      onComment?.()
      return
    }
    // The field name is matched in place (no string made for it): this runs for every line of
    // every frame, on every stream (500 streams in one process in case 2 of the benchmark).
    const fieldEnd = colon === -1 ? end : colon
    const valueStart = colon === -1 ? end : text.charCodeAt(colon + 1) === 32 && colon + 1 < end ? colon + 2 : colon + 1
    if (isField(text, start, fieldEnd, 'data')) {
      const valueLength = end - valueStart
      const length = data === null ? valueLength : data.length + 1 + valueLength
      if (length > maxLength) return tooLong(length)
      const value = text.slice(valueStart, end)
      data = data === null ? value : data + '\n' + value
    } else if (isField(text, start, fieldEnd, 'event')) {
      // A stream names the same few kinds again and again: keep the last name's string when
      // it repeats, so its hash (the kind is looked up in a Set next) is computed once.
      if (!isField(text, valueStart, end, lastEventType)) lastEventType = text.slice(valueStart, end)
      eventType = lastEventType
    }
    // 'id', 'retry' and unknown fields are ignored.
  }

  const parse = (text: string, position: number, searchFrom: number): void => {
    // The next '\r', '\n' and ':' are remembered, so no stretch of text is searched twice.
    let nextLf = text.indexOf('\n', searchFrom)
    let nextCr = text.indexOf('\r', searchFrom)
    nextColon = text.indexOf(':', position)
    while ((nextLf !== -1 || nextCr !== -1) && !stopped) {
      const end = nextCr === -1 || (nextLf !== -1 && nextLf < nextCr) ? nextLf : nextCr
      if (end - position > maxLength) return tooLong(end - position)
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
    if (stopped || position === text.length) return
    if (text.length - position > maxLength) return tooLong(text.length - position)
    pending = [text.slice(position)]
    pendingLength = text.length - position
  }

  return {
    feed(chunk: string): void {
      if (chunk.length === 0 || stopped) return
      let start = 0
      if (first) {
        first = false
        if (chunk.charCodeAt(0) === 0xfeff) start = 1
      }
      if (skipLeadingLf) {
        skipLeadingLf = false
        if (chunk.charCodeAt(start) === LF) start++
      }
      if (start === chunk.length) return
      if (pendingLength > 0 && chunk.indexOf('\n', start) === -1 && chunk.indexOf('\r', start) === -1) {
        // Still no end of line: keep the piece; joining now would copy the whole line again.
        pendingLength += chunk.length - start
        if (pendingLength > maxLength) return tooLong(pendingLength)
        pending.push(start === 0 ? chunk : chunk.slice(start))
        return
      }
      const carried = pendingLength
      const text = carried > 0 ? pending.join('') + chunk.slice(start) : chunk
      pending = []
      pendingLength = 0
      // The carried piece holds no line break, so searching starts after it.
      parse(text, carried > 0 ? 0 : start, carried > 0 ? carried : start)
    },
  }
}

/** Whether `text[start, end)` is exactly `name`. */
function isField(text: string, start: number, end: number, name: string): boolean {
  return end - start === name.length && text.startsWith(name, start)
}
