import type { Server, Socket } from 'node:net'
import { connect as connectTcp, createServer as createTcpServer } from 'node:net'

export interface TcpBalancer {
  url: string
  close: () => Promise<void>
}

export interface BalancerOptions {
  /**
   * `'first'`: every connection tries the backends in order (all go to the first one that is
   * up). `'round-robin'`: each connection starts at the next backend, so clients spread out.
   * @default 'first'
   */
  order?: 'first' | 'round-robin'
}

/**
 * A TCP balancer: each new connection goes to the first backend that accepts it. `backends`
 * is asked again for every connection, so instances can leave and return.
 */
export async function balancer(backends: () => string[], options: BalancerOptions = {}): Promise<TcpBalancer> {
  const sockets = new Set<Socket>()
  let turn = 0
  const server: Server = createTcpServer((client) => {
    const list = backends()
    const offset = options.order === 'round-robin' && list.length > 0 ? turn++ % list.length : 0
    const ordered = [...list.slice(offset), ...list.slice(0, offset)]
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const tryBackend = (index: number): void => {
      const target = ordered[index]
      if (!target) return void client.destroy()
      const { hostname, port } = new URL(target)
      const upstream = connectTcp(Number(port), hostname)
      upstream.once('connect', () => {
        sockets.add(upstream)
        client.pipe(upstream).pipe(client)
        upstream.on('close', () => client.destroy())
        client.on('close', () => upstream.destroy())
      })
      upstream.once('error', () => {
        upstream.destroy()
        if (!upstream.readyState || upstream.connecting) tryBackend(index + 1)
        else client.destroy()
      })
    }
    tryBackend(0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
