import { SyncError } from '../errors.js'
import { createTransportLifecycle } from '../transportLifecycle.js'
import { describeEndpoint, errorMessage, hasContentType, watchResponseError, withQuery } from './httpErrors.js'
import { createChunkDecoder } from './chunkDecoder.js'
import { parseWatchEvent } from './parseWatchEvent.js'
import { createSseParser, DEFAULT_MAX_EVENT_LENGTH } from './sseParser.js'
import type { RecordTransport, RecordTransportOptions, WatchEvent } from './types.js'

/**
 * watchRecords over Server-Sent Events, read with `fetch` rather than `EventSource` so that
 * status codes are visible (401 must stop retries) and reconnecting stays with the state
 * machine. Every network chunk becomes at most one `sink.events` batch, so a 100k-record
 * snapshot notifies listeners per chunk, not per record.
 */
export const sseTransport: RecordTransport = <V>(options: RecordTransportOptions<V>) => {
  const { sink } = options
  const endpoint = describeEndpoint(options.url)
  const context = { collection: options.collection }
  const abort = new AbortController()
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  /** Ends once: by an error (reported to the sink) or quietly (closed by the caller or the signal). */
  const life = createTransportLifecycle({
    signal: options.signal,
    finished: (error, retry) => sink.closed(error, retry),
  })
  life.onRelease(() => {
    abort.abort()
    reader?.cancel().catch(() => {})
  })
  const finish = (error: SyncError): void => life.finish(error)

  let batch: WatchEvent<V>[] = []
  const flush = (): void => {
    if (batch.length === 0 || life.done) return
    const events = batch
    batch = []
    sink.events(events)
  }
  const maxLength = options.maxEventLength ?? DEFAULT_MAX_EVENT_LENGTH
  const parser = createSseParser(
    (event, data) => {
      if (life.done) return
      options.tap?.tap.emit?.('frame', options.tap, 'in', event, data, data)
      const parsed = parseWatchEvent<V>(event, data, context)
      if (parsed instanceof SyncError) {
        // Keep the order of what the server said: the good frames before this one go first.
        flush()
        if (!life.done) sink.ignored(parsed)
      } else if (parsed) {
        batch.push(parsed)
      }
    },
    {
      maxLength,
      // The events before it were good: deliver them, then drop the stream (the machine reconnects).
      onTooLong: (length) => {
        flush()
        finish(new SyncError('protocol', `${endpoint} sent a line or event of more than ${maxLength} characters (${length} so far); reconnecting`))
      },
    },
  )

  const run = async (): Promise<void> => {
    let response: Response
    try {
      response = await options.fetch(withQuery(options.url, { ticket: options.ticket }), {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
        cache: 'no-store',
      })
    } catch (error) {
      finish(new SyncError('network', `Could not reach ${endpoint}: ${errorMessage(error)}`, { cause: error }))
      return
    }
    if (life.done) {
      response.body?.cancel().catch(() => {})
      return
    }
    const failure = await watchResponseError(response, endpoint)
    if (failure) return finish(failure)
    const body = response.body
    if (!hasContentType(response, 'text/event-stream') || !body) {
      body?.cancel().catch(() => {})
      const type = response.headers.get('content-type') ?? 'none'
      return finish(new SyncError('protocol', `${endpoint} answered with content-type "${type}", not text/event-stream`, { status: response.status }))
    }
    reader = body.getReader()
    if (life.done) return void reader.cancel().catch(() => {})
    if (life.open()) sink.opened()

    const decode = createChunkDecoder()
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (error) {
        finish(new SyncError('network', `The event stream from ${endpoint} failed: ${errorMessage(error)}`, { cause: error }))
        return
      }
      if (life.done) return
      if (chunk.done) break
      parser.feed(decode(chunk.value))
      flush()
      if (life.done) return
      sink.alive()
    }
    finish(new SyncError('network', `The event stream from ${endpoint} ended`))
  }

  life.run(run, (thrown) => new SyncError('network', `Record transport failed: ${errorMessage(thrown)}`, { cause: thrown }))
  return { close: life.close }
}
