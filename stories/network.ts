import type { Environment } from 'syncline'
import { defaultEnvironment } from 'syncline'

/**
 * A pretend network cable for one client: `setOnline(false)` cuts its open sockets and
 * streams the way a lost network does (close 1006, a failed read) and makes new ones fail;
 * `setOnline(true)` fires the client's `online` handling, so it reconnects at once, as it
 * would on a real `online` event. A page cannot switch the browser itself offline, and the
 * other panels of a story should stay connected anyway.
 */
export interface NetworkSwitch {
  readonly fetch: typeof fetch
  readonly WebSocket: typeof WebSocket
  readonly environment: Environment
  isOnline(): boolean
  setOnline(online: boolean): void
}

type Handler = ((event: Event) => void) | null

export function createNetworkSwitch(): NetworkSwitch {
  let online = true
  const cuts = new Set<() => void>()
  const onlineListeners = new Set<() => void>()

  const switchedFetch: typeof fetch = async (input, init) => {
    if (!online) throw new TypeError('Failed to fetch (the story is offline)')
    const response = await fetch(input, init)
    if (!response.body) return response
    // Pipe the body through a stream this switch can break, as a dropped connection would.
    const reader = response.body.getReader()
    let cut: () => void = () => {}
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        cut = () => {
          controller.error(new TypeError('network error (the story went offline)'))
          reader.cancel().catch(() => {})
        }
        cuts.add(cut)
      },
      async pull(controller) {
        try {
          const chunk = await reader.read()
          if (chunk.done) {
            cuts.delete(cut)
            controller.close()
          } else {
            controller.enqueue(chunk.value)
          }
        } catch (error) {
          cuts.delete(cut)
          controller.error(error)
        }
      },
      cancel(reason) {
        cuts.delete(cut)
        return reader.cancel(reason)
      },
    })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }

  /** The `on*` surface syncline uses, over a real WebSocket while online. */
  class SwitchedWebSocket {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    static readonly CLOSING = 2
    static readonly CLOSED = 3
    onopen: Handler = null
    onmessage: ((event: MessageEvent) => void) | null = null
    onerror: Handler = null
    onclose: ((event: CloseEvent) => void) | null = null
    #real: WebSocket | null = null
    #closed = false
    #binaryType: BinaryType = 'blob'

    constructor(url: string | URL, protocols?: string | string[]) {
      if (!online) {
        setTimeout(() => this.#lose(), 0)
        return
      }
      const real = new WebSocket(url, protocols)
      this.#real = real
      real.onopen = (event) => this.onopen?.(event)
      real.onmessage = (event) => this.onmessage?.(event)
      real.onerror = (event) => this.onerror?.(event)
      real.onclose = (event) => {
        cuts.delete(this.#cut)
        this.#closed = true
        this.onclose?.(event)
      }
      cuts.add(this.#cut)
    }

    get readyState(): number {
      if (this.#closed) return SwitchedWebSocket.CLOSED
      return this.#real?.readyState ?? SwitchedWebSocket.CONNECTING
    }
    get binaryType(): BinaryType {
      return this.#binaryType
    }
    set binaryType(value: BinaryType) {
      this.#binaryType = value
      if (this.#real) this.#real.binaryType = value
    }
    send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (!this.#real || this.#closed) throw new DOMException('The socket is not open', 'InvalidStateError')
      this.#real.send(data as ArrayBuffer)
    }
    close(code?: number, reason?: string): void {
      if (this.#real) this.#real.close(code, reason)
      else this.#closed = true
    }

    #cut = (): void => {
      const real = this.#real
      if (real) {
        real.onopen = real.onmessage = real.onclose = null
        real.onerror = () => {}
        real.close()
      }
      this.#lose()
    }
    /** What a lost network looks like to a socket's user: an error, then close 1006. */
    #lose(): void {
      if (this.#closed && this.#real === null) return
      cuts.delete(this.#cut)
      this.#closed = true
      this.#real = null
      this.onerror?.(new Event('error'))
      this.onclose?.(new CloseEvent('close', { code: 1006, wasClean: false }))
    }
  }

  return {
    fetch: switchedFetch,
    WebSocket: SwitchedWebSocket as unknown as typeof WebSocket,
    environment: {
      ...defaultEnvironment,
      onOnline(callback) {
        onlineListeners.add(callback)
        const unsubscribe = defaultEnvironment.onOnline(callback)
        return () => {
          onlineListeners.delete(callback)
          unsubscribe()
        }
      },
    },
    isOnline: () => online,
    setOnline(next) {
      if (next === online) return
      online = next
      if (!online) for (const cut of [...cuts]) cut()
      else for (const listener of [...onlineListeners]) listener()
    },
  }
}

/**
 * A fetch that hands an event stream to its reader one frame at a time, `delayMs` apart,
 * as a slow network would: on loopback a whole snapshot arrives in one chunk, too fast to see.
 */
export function pacedFetch(delayMs: number, base: typeof fetch = (input, init) => fetch(input, init)): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init)
    if (delayMs <= 0 || !response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) return response
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    const encoder = new TextEncoder()
    let pending = ''
    const frames: string[] = []
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        while (frames.length === 0) {
          const chunk = await reader.read()
          if (chunk.done) {
            if (pending) controller.enqueue(encoder.encode(pending))
            controller.close()
            return
          }
          pending += chunk.value
          const parts = pending.split('\n\n')
          pending = parts.pop() ?? ''
          frames.push(...parts.map((part) => `${part}\n\n`))
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        controller.enqueue(encoder.encode(frames.shift()!))
      },
      cancel(reason) {
        return reader.cancel(reason)
      },
    })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
}
