import { createServer, request } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * An HTTP proxy on loopback in front of a server that holds the requests whose path contains
 * `holdPath` for `holdMs` before forwarding them, and keeps their bodies: a slow server whose
 * writes can be counted. Everything else (watch streams included) is forwarded at once.
 */
export interface HoldingProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly url: string
  /** Bodies of the held requests, counted as they arrive (before the hold), in arrival order. */
  readonly held: readonly string[]
  close(): Promise<void>
}

export async function startHoldingProxy(target: string, options: { holdPath: string; holdMs: number }): Promise<HoldingProxy> {
  const upstream = new URL(target)
  const held: string[] = []
  const open = new Set<ServerResponse>()

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer): void => {
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    proxied.on('error', () => outgoing.destroy())
    outgoing.on('close', () => proxied.destroy())
    proxied.end(body)
  }

  const server = createServer((incoming, outgoing) => {
    open.add(outgoing)
    outgoing.on('close', () => open.delete(outgoing))
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      if (incoming.method !== 'POST' || !incoming.url?.includes(options.holdPath)) return forward(incoming, outgoing, body)
      held.push(body.toString())
      setTimeout(() => forward(incoming, outgoing, body), options.holdMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    close: () => {
      for (const response of open) response.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
