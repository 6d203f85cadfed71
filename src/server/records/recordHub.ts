import type { RecordScope } from '../storage/types.js'
import { scopeKey } from '../storage/types.js'

/** One watchRecords event as it goes on the wire: SSE `event:`/`data:` or a WS `{ kind, data }`. */
export interface WatchFrame {
  kind: string
  data: unknown
}

/** A connected watcher of one room, whatever its transport. */
export interface Watcher {
  /** Who is watching, when known (a ticket's did, an authenticated user, a dev-mode `devDid`). */
  readonly did: string | undefined
  send(frame: WatchFrame): void
  /** Ends the stream after an optional last frame (e.g. `member.removed`). */
  end(lastFrame?: WatchFrame): void
}

interface Room {
  readonly scope: RecordScope
  readonly watchers: Set<Watcher>
  /** Recent events, oldest first, so a WS client can catch up from its handshake's `sinceTs`. */
  readonly recent: Array<{ ts: number; frame: WatchFrame }>
  /** Events at or before this time may be missing from `recent`. */
  floorTs: number
  /** Unix milliseconds of the last watch or publish. */
  lastActive: number
}

export interface RecordHubOptions {
  /** Events kept per room for WS catch-up. @default 1024 */
  replayLimit?: number
  /** An unwatched room's recent events are dropped after this long. Must exceed the ticket lifetime. @default 600000 */
  idleRoomMs?: number
  /** Told of every event written here (not of events delivered from other instances). */
  onPublish?: (scope: RecordScope, frame: WatchFrame) => void
}

/**
 * Fans record events out to a room's watchers and remembers the recent ones. Its clock is
 * strictly increasing microseconds, used both as records' `time_us` and as the position a
 * WS handshake's `sinceTs` names.
 */
export class RecordHub {
  readonly #rooms = new Map<string, Room>()
  readonly #replayLimit: number
  readonly #idleRoomMs: number
  readonly #startedTs: number
  readonly #onPublish: ((scope: RecordScope, frame: WatchFrame) => void) | undefined
  #lastTs = 0
  #lastSweep = Date.now()

  constructor(options: RecordHubOptions = {}) {
    this.#replayLimit = options.replayLimit ?? 1024
    this.#idleRoomMs = options.idleRoomMs ?? 600_000
    this.#startedTs = this.now()
    this.#onPublish = options.onPublish
  }

  /** Strictly increasing Unix microseconds. */
  now(): number {
    this.#lastTs = Math.max(Date.now() * 1000, this.#lastTs + 1)
    return this.#lastTs
  }

  get watcherCount(): number {
    let count = 0
    for (const room of this.#rooms.values()) count += room.watchers.size
    return count
  }

  watch(scope: RecordScope, watcher: Watcher): () => void {
    const room = this.#room(scope)
    room.watchers.add(watcher)
    room.lastActive = Date.now()
    return () => {
      room.watchers.delete(watcher)
      room.lastActive = Date.now()
    }
  }

  /** Sends to every watcher of the room and remembers the event for catch-up; returns its time. */
  publish(scope: RecordScope, frame: WatchFrame, ts = this.now()): number {
    const published = this.deliver(scope, frame, ts)
    this.#onPublish?.(scope, frame)
    return published
  }

  /** Like `publish`, for an event another instance wrote: its own watchers only, not passed on again. */
  deliver(scope: RecordScope, frame: WatchFrame, ts = this.now()): number {
    const room = this.#room(scope)
    room.recent.push({ ts, frame })
    if (room.recent.length > this.#replayLimit) room.floorTs = room.recent.shift()!.ts
    room.lastActive = Date.now()
    for (const watcher of room.watchers) watcher.send(frame)
    this.#sweep()
    return ts
  }

  /** Events after `sinceTs`, or null when some of them are no longer known (the client must resnapshot). */
  eventsSince(scope: RecordScope, sinceTs: number): WatchFrame[] | null {
    const room = this.#rooms.get(scopeKey(scope))
    const floor = room?.floorTs ?? this.#startedTs
    if (sinceTs < floor) return null
    return room ? room.recent.filter((event) => event.ts > sinceTs).map((event) => event.frame) : []
  }

  /** Ends the streams of one member of a room with `member.removed`; returns how many. */
  removeMember(scope: RecordScope, did: string): number {
    const room = this.#rooms.get(scopeKey(scope))
    if (!room) return 0
    const frame: WatchFrame = { kind: 'member.removed', data: { space: scope.room, did } }
    let count = 0
    for (const watcher of [...room.watchers]) {
      if (watcher.did !== did) continue
      room.watchers.delete(watcher)
      watcher.end(frame)
      count++
    }
    return count
  }

  /** Like `removeMember`, in every room `matches` picks (server.revoke); returns how many streams ended. */
  removeWatchers(did: string, matches: (scope: RecordScope) => boolean): number {
    let count = 0
    for (const room of this.#rooms.values()) {
      const scope = room.scope
      if (matches(scope)) count += this.removeMember(scope, did)
    }
    return count
  }

  endAll(): void {
    for (const room of this.#rooms.values()) {
      for (const watcher of room.watchers) watcher.end()
      room.watchers.clear()
    }
  }

  #room(scope: RecordScope): Room {
    const key = scopeKey(scope)
    let room = this.#rooms.get(key)
    if (!room) {
      // A room first seen now has had no events since the server started, or only ones
      // older than any unexpired ticket (see #sweep).
      room = { scope: { collection: scope.collection, room: scope.room }, watchers: new Set(), recent: [], floorTs: this.#startedTs, lastActive: Date.now() }
      this.#rooms.set(key, room)
    }
    return room
  }

  /**
   * Forgets rooms nobody has watched or written to for `idleRoomMs`. That is safe because a
   * catch-up position is only ever presented with a ticket, and tickets expire sooner.
   */
  #sweep(): void {
    const now = Date.now()
    if (now - this.#lastSweep < this.#idleRoomMs / 4) return
    this.#lastSweep = now
    for (const [key, room] of this.#rooms) {
      if (room.watchers.size === 0 && now - room.lastActive > this.#idleRoomMs) this.#rooms.delete(key)
    }
  }
}
