import type { Server, Socket } from 'node:net'
import { connect as connectTcp, createServer as createTcpServer } from 'node:net'
import type { Rng } from './rng.js'

/**
 * A TCP proxy on loopback between one client and its server, with faults switched on and
 * off at run time:
 * - latency + jitter: every chunk waits `latencyMs ± jitterMs` (order kept);
 * - stall: a half-open link: bytes are swallowed both ways and nothing is closed, so both
 *   ends believe the connection is fine;
 * - reset: every connection is closed with a TCP RST;
 * - drop mid-frame: the next chunk on each connection is cut in half, the first half is
 *   delivered, then both ends are closed;
 * - trickle: at most `bytesPerSecond` each way.
 * The target is asked for on every new connection, so a restarted server on a new port is
 * found again.
 */
export interface FaultProxy {
  readonly url: string
  /** Connections accepted so far (each is one session of the client with a server). */
  readonly accepted: number
  setLatency(latencyMs: number, jitterMs: number): void
  setTrickle(bytesPerSecond: number | null): void
  /**
   * `true`: swallows the traffic of every open connection (and of new ones). `false`: lets new
   * traffic through again and resets the connections that lost bytes.
   */
  stall(on: boolean): void
  reset(): number
  dropMidFrame(): number
  /** All faults off; connections that were ever stalled are reset, so their ends notice. */
  heal(): number
  close(): Promise<void>
}

interface Direction {
  queue: Array<{ at: number; data: Buffer }>
  lastAt: number
  timer: NodeJS.Timeout | null
}

interface Link {
  client: Socket
  upstream: Socket
  stalledEver: boolean
  dropNext: boolean
  directions: [Direction, Direction]
}

/** Trickled chunks are cut into pieces this many ms of bandwidth long. */
const TRICKLE_SLICE_MS = 50
/** A drop waits this long for a chunk to cut; an idle connection is then closed plainly. */
const DROP_WAIT_MS = 2000

export async function startFaultProxy(target: () => { host: string; port: number }, rng: Rng): Promise<FaultProxy> {
  const links = new Set<Link>()
  let latencyMs = 0
  let jitterMs = 0
  let bytesPerSecond: number | null = null
  let stalled = false
  let accepted = 0

  const destroy = (link: Link, reset = false): void => {
    for (const direction of link.directions) {
      if (direction.timer !== null) clearTimeout(direction.timer)
      direction.timer = null
      direction.queue.length = 0
    }
    if (reset && !link.client.destroyed) link.client.resetAndDestroy()
    else link.client.destroy()
    if (reset && !link.upstream.destroyed && !link.upstream.connecting) link.upstream.resetAndDestroy()
    else link.upstream.destroy()
    links.delete(link)
  }

  const pump = (link: Link, direction: Direction, to: Socket): void => {
    direction.timer = null
    const now = Date.now()
    while (direction.queue.length > 0 && direction.queue[0]!.at <= now) {
      const { data } = direction.queue.shift()!
      if (to.destroyed) return
      if (link.dropNext && data.length >= 2) {
        to.write(data.subarray(0, Math.floor(data.length / 2)), () => destroy(link))
        link.dropNext = false
        return
      }
      to.write(data)
    }
    const head = direction.queue[0]
    if (head) direction.timer = setTimeout(() => pump(link, direction, to), Math.max(0, head.at - now))
  }

  const forward = (link: Link, direction: Direction, to: Socket, data: Buffer): void => {
    if (stalled) {
      link.stalledEver = true
      return
    }
    const now = Date.now()
    const delay = latencyMs + (jitterMs > 0 ? rng.next() * jitterMs : 0)
    let at = Math.max(direction.lastAt, now + delay)
    const slice = bytesPerSecond === null ? data.length : Math.max(1, Math.floor((bytesPerSecond * TRICKLE_SLICE_MS) / 1000))
    for (let offset = 0; offset < data.length; offset += slice) {
      direction.queue.push({ at, data: data.subarray(offset, offset + slice) })
      if (bytesPerSecond !== null) at += TRICKLE_SLICE_MS
    }
    direction.lastAt = at
    if (direction.timer === null) pump(link, direction, to)
  }

  const server: Server = createTcpServer((client) => {
    accepted++
    const { host, port } = target()
    const upstream = connectTcp(port, host)
    const link: Link = {
      client,
      upstream,
      stalledEver: stalled,
      dropNext: false,
      directions: [
        { queue: [], lastAt: 0, timer: null },
        { queue: [], lastAt: 0, timer: null },
      ],
    }
    links.add(link)
    client.on('data', (data: Buffer) => forward(link, link.directions[0], upstream, data))
    upstream.on('data', (data: Buffer) => forward(link, link.directions[1], client, data))
    for (const socket of [client, upstream]) {
      socket.on('error', () => destroy(link))
      socket.on('close', () => destroy(link))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted
    },
    setLatency(latency, jitter) {
      latencyMs = latency
      jitterMs = jitter
    },
    setTrickle(rate) {
      bytesPerSecond = rate
    },
    stall(on) {
      stalled = on
      if (on) for (const link of links) link.stalledEver = true
      // TCP never resumes a link after losing bytes: a stall ends as a dead link would, with a reset.
      else for (const link of [...links]) if (link.stalledEver) destroy(link, true)
    },
    reset() {
      const count = links.size
      for (const link of [...links]) destroy(link, true)
      return count
    },
    dropMidFrame() {
      const count = links.size
      for (const link of links) {
        link.dropNext = true
        setTimeout(() => {
          if (links.has(link) && link.dropNext) destroy(link)
        }, DROP_WAIT_MS).unref()
      }
      return count
    },
    heal() {
      latencyMs = 0
      jitterMs = 0
      bytesPerSecond = null
      stalled = false
      let count = 0
      for (const link of [...links]) {
        if (link.stalledEver) {
          destroy(link, true)
          count++
          continue
        }
        // What latency or a trickle still holds back goes out now, in order.
        link.directions.forEach((direction, index) => {
          for (const item of direction.queue) item.at = 0
          direction.lastAt = 0
          if (direction.timer !== null) clearTimeout(direction.timer)
          pump(link, direction, index === 0 ? link.upstream : link.client)
        })
      }
      return count
    },
    close() {
      for (const link of [...links]) destroy(link)
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
