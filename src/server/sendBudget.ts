/**
 * One budget for the bytes waiting to go out on every socket and stream of the server. Each
 * connection's limit alone does not bound memory: many peers that stop reading can each
 * hold up to their own limit. When the sum passes the budget, the connection holding the
 * most unsent bytes (the slowest reader) is dropped instead of the buffers growing.
 *
 * Bytes count from the moment they are handed to a socket until its write callback runs,
 * which is when they have left the process (or the socket has failed).
 */
export class SendBudget {
  readonly maxBytes: number
  readonly #accounts = new Set<SendAccount>()
  #total = 0

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Bytes waiting to go out, over every open account. */
  get totalBytes(): number {
    return this.#total
  }

  /**
   * An account for one connection. `drop` is called at most once, when the budget is over and
   * this connection holds the most; it must close the connection promptly.
   */
  open(drop: (reason: string) => void): SendAccount {
    const account = new SendAccount(this, drop)
    this.#accounts.add(account)
    return account
  }

  /** @internal Called by accounts as their pending bytes change. */
  adjust(delta: number): void {
    this.#total += delta
  }

  /** @internal */
  forget(account: SendAccount): void {
    this.#accounts.delete(account)
  }

  /** @internal Drops the largest holders until the total is within the budget again. */
  shed(): void {
    if (this.maxBytes <= 0) return
    while (this.#total > this.maxBytes) {
      let slowest: SendAccount | undefined
      for (const account of this.#accounts) if (!slowest || account.pendingBytes > slowest.pendingBytes) slowest = account
      if (!slowest || slowest.pendingBytes === 0) return
      slowest.drop(`too slow: ${slowest.pendingBytes} bytes unsent while the server's send buffers are over their budget of ${this.maxBytes} bytes`)
    }
  }
}

export class SendAccount {
  readonly #budget: SendBudget
  readonly #drop: (reason: string) => void
  #pending = 0
  #open = true

  constructor(budget: SendBudget, drop: (reason: string) => void) {
    this.#budget = budget
    this.#drop = drop
  }

  get pendingBytes(): number {
    return this.#pending
  }

  /**
   * Runs `write` (which hands `bytes` to the socket and calls `done` once they have left),
   * counting them meanwhile; afterwards drops the slowest connection if the budget is over.
   */
  write(bytes: number, write: (done: (error?: Error | null) => void) => void): void {
    if (!this.#open) return write(() => {})
    this.#pending += bytes
    this.#budget.adjust(bytes)
    let settled = false
    write(() => {
      if (settled || !this.#open) return
      settled = true
      this.#pending -= bytes
      this.#budget.adjust(-bytes)
    })
    this.#budget.shed()
  }

  /** Drops this connection: its bytes leave the budget now, as its socket is going away. */
  drop(reason: string): void {
    if (!this.#open) return
    this.close()
    this.#drop(reason)
  }

  /** The connection has closed: whatever it still held no longer counts. */
  close(): void {
    if (!this.#open) return
    this.#open = false
    this.#budget.adjust(-this.#pending)
    this.#pending = 0
    this.#budget.forget(this)
  }
}
