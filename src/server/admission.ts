import { isIPv6 } from 'node:net'
import { HttpError } from './http.js'

export interface AdmissionLimits {
  /** Long-lived connections one user may hold; 0 for no limit. */
  perUser: number
  /** Long-lived connections one address (an IPv6 /64) may hold; 0 for no limit. */
  perAddress: number
}

/**
 * Counts the long-lived connections (document sockets and record watches, SSE and WS
 * together) of each user and each address, so that no one client can take every slot of
 * `maxConnections`. A refused connection gets HTTP 429 before it is accepted; the others
 * are unaffected.
 */
export class ConnectionAdmission {
  readonly #limits: AdmissionLimits
  readonly #byUser = new Map<string, number>()
  readonly #byAddress = new Map<string, number>()

  constructor(limits: AdmissionLimits) {
    this.#limits = limits
  }

  /**
   * Takes a slot for `userId` (undefined: not counted per user, as in development mode, where
   * user ids are only claims) from `remoteAddress`, or throws a 429 `HttpError`. Returns the
   * function that gives the slot back; calling it more than once is harmless.
   */
  admit(userId: string | undefined, remoteAddress: string | undefined): () => void {
    const address = addressKey(remoteAddress)
    const { perUser, perAddress } = this.#limits
    if (userId !== undefined && perUser > 0 && (this.#byUser.get(userId) ?? 0) >= perUser) {
      throw new HttpError(429, 'TooManyConnections', `This user already has ${perUser} open connections; close one first`, { 'retry-after': '5' })
    }
    if (perAddress > 0 && (this.#byAddress.get(address) ?? 0) >= perAddress) {
      throw new HttpError(429, 'TooManyConnections', `This address already has ${perAddress} open connections; close one first`, { 'retry-after': '5' })
    }
    if (userId !== undefined) increment(this.#byUser, userId)
    increment(this.#byAddress, address)
    let released = false
    return () => {
      if (released) return
      released = true
      if (userId !== undefined) decrement(this.#byUser, userId)
      decrement(this.#byAddress, address)
    }
  }
}

/** Gives a connection slot back once the socket (or SSE response) is gone, however it ends. */
export function releaseWhenClosed(stream: { readonly destroyed: boolean; once(event: 'close', listener: () => void): unknown }, release: () => void): void {
  if (stream.destroyed) release()
  else stream.once('close', release)
}

/**
 * The unit an address cap applies to. One IPv6 host usually has a whole /64 to pick
 * addresses from, so IPv6 counts per /64; IPv4-mapped addresses count as their IPv4 form.
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return ''
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)
  if (mapped) return mapped[1]!
  if (!isIPv6(remoteAddress)) return remoteAddress
  const [head = '', tail = ''] = remoteAddress.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = remoteAddress.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
}
