import type { SoakClientBase } from './clients.js'
import type { Rng } from './rng.js'

export type NetworkFaultKind = 'latency' | 'stall' | 'reset' | 'drop-mid-frame' | 'trickle'

const NETWORK_WEIGHTS: Record<NetworkFaultKind, number> = { latency: 3, stall: 2, reset: 2, 'drop-mid-frame': 2, trickle: 2 }

/**
 * Network faults on the clients' proxies, each chosen by the seeded generator. Lasting
 * faults (latency, stall, trickle) end by themselves after a few seconds; a stall ends the way
 * a dead TCP link does, by resetting the connections it swallowed. `healAll()` ends them all.
 */
export class NetworkFaults {
  readonly counts = new Map<string, number>()
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor(
    private readonly rng: Rng,
    private readonly clients: readonly SoakClientBase[],
    private readonly scale: { minMs: number; maxMs: number },
    /** Only these kinds (to narrow a failure down); all by default. */
    private readonly only: ReadonlySet<string> | null = null,
  ) {}

  count(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
  }

  get total(): number {
    let total = 0
    for (const count of this.counts.values()) total += count
    return total
  }

  inject(): void {
    const { rng } = this
    const client = rng.pick(this.clients)
    const weights = this.only === null ? NETWORK_WEIGHTS : Object.fromEntries(Object.entries(NETWORK_WEIGHTS).map(([name, weight]) => [name, this.only!.has(name) ? weight : 0]))
    const kind = rng.weighted(weights as Record<NetworkFaultKind, number>)
    if (weights[kind] === 0) return
    const duration = rng.int(this.scale.minMs, this.scale.maxMs)
    const { proxy } = client
    this.count(kind)
    switch (kind) {
      case 'latency': {
        proxy.setLatency(rng.int(20, 400), rng.int(0, 200))
        this.#later(duration, () => proxy.setLatency(0, 0))
        break
      }
      case 'trickle': {
        proxy.setTrickle(rng.int(4, 64) * 1024)
        this.#later(duration, () => proxy.setTrickle(null))
        break
      }
      case 'stall': {
        proxy.stall(true)
        client.stalled = true
        this.#later(duration, () => {
          client.stalled = false
          proxy.stall(false)
        })
        break
      }
      case 'reset':
        proxy.reset()
        break
      case 'drop-mid-frame':
        proxy.dropMidFrame()
        break
    }
  }

  #later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      action()
    }, ms)
    this.#timers.add(timer)
  }

  /** Every fault off at once; connections that were stalled are reset so their ends notice. */
  healAll(): number {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    let reset = 0
    for (const client of this.clients) {
      client.stalled = false
      reset += client.proxy.heal()
    }
    return reset
  }
}
