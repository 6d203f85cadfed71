const MAX_SAVE_RETRY_MS = 30_000

/** One write, prepared when it starts: everything received up to then is in it. */
export interface PreparedWrite {
  write(): Promise<void>
  /** Storage has it. */
  stored(): void
  failed(error: unknown): void
}

export interface SaveLoopOptions {
  /** Base delay of the backoff between retries of a failed write. */
  debounceMs: number
  /** Takes what the write must hold, now. */
  prepare(): PreparedWrite
  /** A write finished and nothing is left to write. */
  onSettled(): void
}

/**
 * A document's writes, coalesced: at most one runs at a time, changes that arrive meanwhile
 * go in the next one, and after a failure the next try backs off (a broken disk is not
 * hammered) while the changes are kept.
 */
export class SaveLoop {
  readonly #options: SaveLoopOptions
  #dirty = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #saving: Promise<void> | undefined
  #failures = 0
  #closed = false

  constructor(options: SaveLoopOptions) {
    this.#options = options
  }

  /** Nothing to write, and no write running or waiting. */
  get idle(): boolean {
    return !this.#dirty && this.#saving === undefined && this.#timer === undefined
  }

  /**
   * Marks the document as changed and writes it after `delay`. The first change after a save
   * starts the timer and later ones ride along, so a busy document is still written, not starved.
   */
  schedule(delay = this.#options.debounceMs): void {
    this.#dirty = true
    if (this.#closed) return
    if (this.#timer !== undefined && delay === 0 && this.#failures === 0) this.#clearTimer()
    if (this.#timer !== undefined || this.#saving !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#save()
    }, delay)
  }

  /** Writes pending changes now; resolves once storage has them (or has failed, reported). */
  async flush(): Promise<void> {
    await this.#saving
    if (this.#dirty) await this.#save()
  }

  /** A last flush; afterwards a failed write is reported but not retried. */
  async close(): Promise<void> {
    this.#closed = true
    await this.flush()
    this.#clearTimer()
  }

  #save(): Promise<void> {
    this.#clearTimer()
    this.#dirty = false
    const prepared = this.#options.prepare()
    const saving = Promise.resolve()
      .then(() => prepared.write())
      .then(
        () => {
          this.#failures = 0
          prepared.stored()
        },
        (error: unknown) => {
          this.#failures++
          // Keep the changes: a later write retries.
          this.#dirty = true
          prepared.failed(error)
        },
      )
      .finally(() => {
        this.#saving = undefined
        if (this.#dirty) {
          // Changes that arrived during this save: write them at once (a peer waits for its
          // acknowledgement); after a failure, back off so a broken disk is not hammered.
          this.schedule(this.#failures === 0 ? 0 : Math.min(MAX_SAVE_RETRY_MS, this.#options.debounceMs * 2 ** this.#failures))
        } else {
          this.#options.onSettled()
        }
      })
    this.#saving = saving
    return saving
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
