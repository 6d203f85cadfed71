import { createServer, connect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

/**
 * A TCP proxy on loopback that can turn into a half-open path: in `blackhole` mode it
 * swallows every byte in both directions and closes nothing, as a dead NAT mapping or a
 * stuck middlebox does. Neither end sees an error or a close; only silence gives it away.
 *
 * - `blackhole()`: every open connection goes silent, and new connections are accepted and
 *   then swallowed too (their requests never reach the server).
 * - `heal()`: new connections are forwarded again. Swallowed ones stay dead (as after a real
 *   outage): what matters is that the client notices and reconnects.
 * - `loseNextReply(marker)`: the next request whose bytes contain `marker` reaches the server,
 *   but its reply does not reach the client: the connection is reset when the reply starts
 *   (a write the server did, whose answer was lost).
 */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly url: string
  readonly port: number
  readonly mode: 'forward' | 'blackhole'
  /** Connections accepted so far (forwarded or swallowed). */
  readonly accepted: number
  blackhole(): void
  heal(): void
  loseNextReply(marker: string): void
  /** Replies lost so far by `loseNextReply`. */
  readonly lostReplies: number
  /** Destroys every connection, swallowed ones included, and stops listening. */
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket | null
  swallowed: boolean
  /** The request on this connection asked for its reply to be lost. */
  losingReply: boolean
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const host = target.host ?? '127.0.0.1'
  const pairs = new Set<Pair>()
  let mode: 'forward' | 'blackhole' = 'forward'
  let accepted = 0
  let loseMarker: string | null = null
  let lostReplies = 0

  const destroy = (pair: Pair): void => {
    pairs.delete(pair)
    pair.client.destroy()
    pair.upstream?.destroy()
  }

  const server: Server = createServer((client) => {
    accepted++
    const pair: Pair = { client, upstream: null, swallowed: mode === 'blackhole', losingReply: false }
    pairs.add(pair)
    client.on('error', () => {})
    if (pair.swallowed) {
      // Read and drop: the client's bytes go nowhere, and nothing ever comes back.
      client.on('data', () => {})
      return
    }
    const upstream = connect({ host, port: target.port })
    pair.upstream = upstream
    upstream.on('error', () => {})
    client.on('data', (chunk: Buffer) => {
      if (loseMarker !== null && chunk.includes(loseMarker)) {
        loseMarker = null
        pair.losingReply = true
      }
      if (!pair.swallowed) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (pair.losingReply) {
        lostReplies++
        pair.client.resetAndDestroy()
        destroy(pair)
        return
      }
      if (!pair.swallowed) client.write(chunk)
    })
    // While forwarding, a close on one side is a close on the other; once swallowed, it is not.
    client.on('close', () => {
      if (!pair.swallowed) destroy(pair)
    })
    upstream.on('close', () => {
      if (!pair.swallowed) destroy(pair)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return mode
    },
    get accepted() {
      return accepted
    },
    blackhole() {
      mode = 'blackhole'
      for (const pair of pairs) pair.swallowed = true
    },
    heal() {
      mode = 'forward'
    },
    loseNextReply(marker) {
      loseMarker = marker
    },
    get lostReplies() {
      return lostReplies
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
