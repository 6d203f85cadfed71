import { Decoder } from 'cbor-x'
import { WebSocket } from 'ws'

/**
 * With SOAK_TRACE=1, document clients record the last frames per document (direction, type,
 * session) so that a failure can show what was said last. Off by default: it costs a decode
 * per frame.
 */
export const TRACING = process.env.SOAK_TRACE === '1'
const decoder = new Decoder({ useRecords: false })
const LAST = 12

export type Trace = Map<string, string[]>

export function tracingWebSocket(trace: Trace): typeof globalThis.WebSocket {
  let sessions = 0
  class TracingWebSocket extends WebSocket {
    readonly #session = ++sessions
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.addEventListener('message', (event) => this.#note('in', event.data))
      this.addEventListener('close', () => this.#note('close', null))
    }
    override send(data: never, ...rest: never[]): void {
      this.#note('out', data)
      super.send(data, ...rest)
    }
    #note(direction: string, data: unknown): void {
      let type = ''
      let documentId = '*'
      try {
        if (data !== null) {
          const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array)
          const message = decoder.decode(bytes) as { type?: string; documentId?: string }
          type = message.type ?? '?'
          documentId = message.documentId ?? '*'
        }
      } catch {
        type = 'undecodable'
      }
      const list = trace.get(documentId) ?? []
      list.push(`${Date.now() % 100_000} s${this.#session} ${direction} ${type}`)
      if (list.length > LAST) list.shift()
      trace.set(documentId, list)
    }
  }
  return TracingWebSocket as unknown as typeof globalThis.WebSocket
}
