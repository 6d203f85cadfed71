import type { Environment } from '../environment.js'
import { toSyncError } from '../errors.js'
import type { Outbox, OutboxEntry } from './outbox.js'
import type { RecordWriter, RecordWriteRequest, RecordWriteResult } from './recordWriter.js'
import { isRetryableWriteError, referenceWriter } from './recordWriter.js'

/** Runs `send` while holding `name` (one tab at a time); the default just runs it. */
export type SendLock = (name: string, send: () => Promise<void>) => Promise<void>

export interface OutboxSenderOptions {
  outbox: Outbox
  /** @default referenceWriter */
  writer: RecordWriter | undefined
  /** Where and as whom `entry` is written (token, did, fetch). */
  request(entry: OutboxEntry<unknown>): Promise<RecordWriteRequest>
  /** Whether the store's connection is up; sending waits for it otherwise. */
  canSend(): boolean
  /** Whether `entry` is still waiting in the shared cache (another tab may have sent it meanwhile). */
  stillQueued(entry: OutboxEntry<unknown>): Promise<boolean>
  /** The server accepted `entry` (the store updates its confirmed records, then the outbox). */
  accepted(entry: OutboxEntry<unknown>, result: RecordWriteResult | undefined): void
  sendLock: SendLock
  /** Prefix of the lock names: one lock per entry. */
  lockName: string
  /** The wait before retry number `attempt` (the connection's full-jitter backoff). */
  backoffDelay(attempt: number): number
  environment: Environment
}

/**
 * Sends one store's outbox: the oldest sendable entry first, one at a time, while the
 * connection is up. Network failures and 5xx wait the connection's full-jitter backoff (or
 * the device coming back online); a refusal (4xx) parks its entry and the rest go on.
 * Loaded on the first write, so an app that only reads never downloads it.
 */
export class OutboxSender {
  readonly #o: OutboxSenderOptions
  #sending = false
  #stopped = false
  #failures = 0
  #timer: unknown = null
  #unlistenOnline: () => void

  constructor(options: OutboxSenderOptions) {
    this.#o = options
    this.#unlistenOnline = options.environment.onOnline(() => this.wake())
  }

  /** Something was queued: send it, unless a backoff wait is in progress (it goes after that, in order). */
  kick(): void {
    if (this.#stopped || this.#timer !== null) return
    void this.#drain()
  }

  /** The way looks clear again (online, connection up, a retry asked for): send now, skipping a backoff wait. */
  wake(): void {
    if (this.#stopped) return
    this.#clearTimer()
    void this.#drain()
  }

  stop(): void {
    this.#stopped = true
    this.#clearTimer()
    this.#unlistenOnline()
  }

  async #drain(): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    try {
      for (;;) {
        if (this.#stopped || !this.#o.canSend()) return
        const entry = this.#o.outbox.next()
        if (entry === undefined) return
        if (!(await this.#sendOne(entry))) {
          this.#scheduleRetry()
          return
        }
      }
    } finally {
      this.#sending = false
    }
  }

  /** False when the entry should be tried again after a backoff. */
  async #sendOne(entry: OutboxEntry<unknown>): Promise<boolean> {
    const { outbox, sendLock, lockName } = this.#o
    const writer = this.#o.writer ?? referenceWriter
    let sent = true
    try {
      await sendLock(`${lockName}:${entry.id}`, async () => {
        // Gone meanwhile: discarded here, or sent by the tab that held the lock before us.
        if (!outbox.has(entry.id) || !(await this.#o.stillQueued(entry))) return
        try {
          const request = await this.#o.request(entry)
          let result: RecordWriteResult | undefined
          if (entry.op === 'put') result = await writer.put({ ...request, value: entry.value })
          else await writer.delete(request)
          this.#failures = 0
          this.#o.accepted(entry, result)
        } catch (error) {
          const failure = toSyncError(error, 'network')
          const retryable = isRetryableWriteError(failure)
          outbox.failed(entry, failure, !retryable)
          if (retryable) {
            this.#failures++
            sent = false
          }
        }
        // Held until the outcome is in the shared cache: a tab that takes the lock next reads
        // the cache to see whether the entry still waits, and would send it again.
        await outbox.flush()
      })
    } catch {
      // The lock itself failed (a closing page): try again later.
      this.#failures++
      sent = false
    }
    return sent
  }

  #scheduleRetry(): void {
    if (this.#stopped) return
    this.#clearTimer()
    this.#timer = this.#o.environment.setTimeout(() => {
      this.#timer = null
      void this.#drain()
    }, this.#o.backoffDelay(this.#failures))
  }

  #clearTimer(): void {
    if (this.#timer === null) return
    this.#o.environment.clearTimeout(this.#timer)
    this.#timer = null
  }
}
