import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import { LazyModule } from '../core/lazyModule.js'
import { importOptionalPeer } from './optionalPeer.js'

/** `ws`, loaded once for the whole process; the server's `start()` loads it before listening. */
const wsPackage = new LazyModule(() => importOptionalPeer('ws', "the server's WebSocket endpoints (records mode=ws and documents)", () => import('ws')))

/**
 * A `ws` WebSocketServer in noServer mode, created when `ws` has loaded. `ws` is an optional
 * peer (browser apps never need it), so it is imported on `ready()` rather than with the module.
 */
export class LazyWebSocketServer {
  readonly #maxPayload: number
  #server: WebSocketServer | null = null

  constructor(options: { maxPayload: number }) {
    this.#maxPayload = options.maxPayload
  }

  /** Loads `ws`, or rejects with an error naming the package to install. */
  async ready(): Promise<void> {
    const { WebSocketServer } = await wsPackage.load()
    this.#server ??= new WebSocketServer({ noServer: true, maxPayload: this.#maxPayload })
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, accepted: (ws: WebSocket) => void): Promise<void> {
    await this.ready()
    this.#server!.handleUpgrade(req, socket, head, accepted)
  }

  close(): void {
    this.#server?.close()
  }
}
