import { randomUUID } from 'node:crypto'
import type { RevokeRequest } from '../auth.js'
import type { WatchFrame } from '../records/recordHub.js'
import type { RecordScope } from '../storage/types.js'
import type { PubSub } from './types.js'

const RECORDS_TOPIC = 'records'
const DOCUMENTS_TOPIC = 'documents'
const REVOCATIONS_TOPIC = 'revocations'

interface RecordNotice {
  origin: string
  collection: string
  room: string
  frame: WatchFrame
}
interface DocumentNotice {
  origin: string
  documentId: string
  /** The change bytes, base64; absent for a "read it from storage" notice. */
  changes?: string
}

interface RevokeNotice {
  origin: string
  request: RevokeRequest
  /** `server.restore` / `addMember`: lift the lockout instead. On the revoke topic, so the two stay in order. */
  restore?: true
}

/** Larger changes travel as a notice: the others read them from storage instead. */
const MAX_PUBLISHED_CHANGE_BYTES = 256 * 1024

/**
 * This instance's side of the pub/sub: it announces its record events and document writes,
 * and applies the other instances'. Both topics are server-wide (every instance hears every
 * write), which keeps subscriptions free of races at the cost of some traffic per write.
 * Document changes travel as their bytes (applying them twice is harmless) or, when large or
 * in `'notice'` mode, as a notice to read the document from the shared storage; nothing is
 * buffered per document, and the resync after a broker outage covers lost messages.
 */
export class InstanceFanout {
  readonly origin = randomUUID()
  readonly #pubsub: PubSub
  readonly #onError: (error: unknown) => void
  readonly #encoder = new TextEncoder()
  readonly #decoder = new TextDecoder()
  readonly #mode: 'changes' | 'notice'
  /** Documents whose last change was too large to publish: they get a notice once stored. */
  readonly #noticeAfterStore = new Set<string>()
  #unsubscribers: Array<() => Promise<void>> = []

  /**
   * No other instance can hear this one: the pub/sub is the server's own in-memory one
   * (none was passed in). Document changes are then not published at all, which keeps
   * `Automerge.saveSince`, base64 and JSON off every relay.
   */
  readonly alone: boolean

  constructor(pubsub: PubSub, onError: (error: unknown) => void, mode: 'changes' | 'notice', alone = false) {
    this.#pubsub = pubsub
    this.#onError = onError
    this.#mode = mode
    this.alone = alone
  }

  async start(handlers: { record(notice: RecordNotice): void; document(notice: DocumentNotice): void; revoke(notice: RevokeNotice): void; resync(): void }): Promise<void> {
    const listen = <T extends { origin: string }>(topic: string, handle: (notice: T) => void) =>
      this.#pubsub.subscribe(topic, (message) => {
        try {
          const notice = JSON.parse(this.#decoder.decode(message)) as T
          if (notice.origin !== this.origin) handle(notice)
        } catch (error) {
          this.#onError(error)
        }
      })
    this.#unsubscribers = await Promise.all([
      listen<RecordNotice>(RECORDS_TOPIC, handlers.record),
      listen<DocumentNotice>(DOCUMENTS_TOPIC, handlers.document),
      listen<RevokeNotice>(REVOCATIONS_TOPIC, handlers.revoke),
    ])
    const offStatus = this.#pubsub.onStatus((status) => {
      if (status === 'up') handlers.resync()
    })
    this.#unsubscribers.push(async () => offStatus())
  }

  async stop(): Promise<void> {
    await Promise.all(this.#unsubscribers.splice(0).map((unsubscribe) => unsubscribe().catch(() => {})))
  }

  publishRecord({ collection, room }: RecordScope, frame: WatchFrame): void {
    this.#send(RECORDS_TOPIC, { origin: this.origin, collection, room, frame } satisfies RecordNotice)
  }

  documentChanged(documentId: string, changes: Uint8Array): void {
    if (this.#mode === 'changes' && changes.byteLength <= MAX_PUBLISHED_CHANGE_BYTES) {
      this.#send(DOCUMENTS_TOPIC, { origin: this.origin, documentId, changes: Buffer.from(changes).toString('base64') } satisfies DocumentNotice)
    } else {
      this.#noticeAfterStore.add(documentId)
    }
  }

  /** `server.revoke` / `removeMember` here: the other instances end that user's access and lock them out too. */
  revoked(request: RevokeRequest): void {
    this.#send(REVOCATIONS_TOPIC, { origin: this.origin, request } satisfies RevokeNotice)
  }

  /** `server.restore` / `addMember` here: the other instances lift the lockout too. */
  restored(request: RevokeRequest): void {
    this.#send(REVOCATIONS_TOPIC, { origin: this.origin, request, restore: true } satisfies RevokeNotice)
  }

  documentStored(documentId: string): void {
    if (!this.#noticeAfterStore.delete(documentId)) return
    this.#send(DOCUMENTS_TOPIC, { origin: this.origin, documentId } satisfies DocumentNotice)
  }

  #send(topic: string, notice: RecordNotice | DocumentNotice | RevokeNotice): void {
    // Never awaited by a write: the data is already stored, and a lost notice is repaired by
    // the resync after the broker comes back.
    this.#pubsub.publish(topic, this.#encoder.encode(JSON.stringify(notice))).catch((error: unknown) => this.#onError(error))
  }
}
