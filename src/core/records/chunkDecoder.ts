const STREAM = { stream: true } as const

/**
 * Decodes a UTF-8 byte stream chunk by chunk, exactly as one `TextDecoder` called with
 * `{ stream: true }` on every chunk would (a character split across chunks is joined, the
 * stream's leading BOM is dropped), but without streaming where it need not: in Node a decoder
 * that has once streamed goes through its general converter for good (several times slower per
 * chunk), while a decode of a whole chunk takes a fast path. An SSE chunk nearly always ends
 * at an event's blank line, so it is whole.
 *
 * A chunk whose last byte is ASCII leaves the streaming decoder with nothing held back (a
 * broken sequence before that byte is already replaced with U+FFFD), so once the stream has
 * begun (its BOM dealt with) such a chunk is decoded on its own, BOM kept as the streaming
 * decoder would past the start; every other chunk goes to the streaming decoder.
 */
export function createChunkDecoder(): (bytes: Uint8Array) => string {
  const streaming = new TextDecoder()
  const whole = new TextDecoder('utf-8', { ignoreBOM: true })
  /**
   * The last chunk the streaming decoder had ended in ASCII (so it holds nothing back, and has
   * given out text: its BOM is dealt with), and so did every chunk since.
   */
  let settled = false
  return (bytes) => {
    // An empty chunk counts as not whole: it goes to the streaming decoder, which returns ''.
    const endsWhole = bytes[bytes.byteLength - 1]! < 0x80
    if (settled && endsWhole) return whole.decode(bytes)
    settled = endsWhole
    return streaming.decode(bytes, STREAM)
  }
}
