import type { Environment } from './environment.js'

export type TokenSource = string | (() => Promise<string>)

/**
 * Knows which token the client last handed out and, while some connection is parked on
 * `unauthorized`, asks the token source now and then (and when the device comes back online
 * or to the tab) whether a different token is available. When one is, `onFreshToken` restarts
 * the parked connections. A refused token is never retried by itself: that would hammer the
 * server with credentials it has already turned down. A client loads this module with its
 * first token read (client.ts).
 */
export class CredentialWatch {
  readonly #source: TokenSource
  readonly #env: Environment
  readonly #intervalMs: number
  readonly #onFreshToken: () => void
  #lastIssued: string | undefined
  /** The token in use when a connection was refused; set while something is parked. */
  #refused: string | undefined
  #parked = false
  #timer: unknown = null
  #unlisten: Array<() => void> = []
  #checking = false

  constructor(source: TokenSource, env: Environment, intervalMs: number, onFreshToken: () => void) {
    this.#source = source
    this.#env = env
    this.#intervalMs = intervalMs
    this.#onFreshToken = onFreshToken
  }

  /** The token for the next connect; remembered so a refusal can be compared against it. */
  read = async (): Promise<string> => {
    const token = typeof this.#source === 'function' ? await this.#source() : this.#source
    this.#lastIssued = token
    return token
  }

  /** Tells the watch whether any connection is parked on `unauthorized` right now. */
  setParked(parked: boolean): void {
    if (parked === this.#parked) return
    this.#parked = parked
    if (!parked) return this.#stopWatching()
    this.#refused = this.#lastIssued
    this.#unlisten.push(this.#env.onOnline(() => void this.#check()), this.#env.onVisible(() => void this.#check()))
    this.#schedule()
  }

  /** Stops watching (the client is closing). */
  dispose(): void {
    this.#parked = false
    this.#stopWatching()
  }

  #schedule(): void {
    this.#timer = this.#env.setTimeout(() => {
      this.#timer = null
      void this.#check().finally(() => {
        if (this.#parked && this.#timer === null) this.#schedule()
      })
    }, this.#intervalMs)
  }

  async #check(): Promise<void> {
    if (!this.#parked || this.#checking) return
    this.#checking = true
    let token: string | undefined
    try {
      token = typeof this.#source === 'function' ? await this.#source() : this.#source
    } catch {
      // No token to be had yet (signed out): keep waiting.
      token = undefined
    } finally {
      this.#checking = false
    }
    if (token === undefined || token === this.#refused || !this.#parked) return
    // Cleared before restarting: a restart that is refused again parks anew with this token.
    this.setParked(false)
    this.#onFreshToken()
  }

  #stopWatching(): void {
    if (this.#timer !== null) this.#env.clearTimeout(this.#timer)
    this.#timer = null
    for (const unlisten of this.#unlisten.splice(0)) unlisten()
  }
}
