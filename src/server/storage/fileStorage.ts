import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { replaceFile, RoomLog } from './roomLog.js'
import type { RecordScope, StorageProvider } from './types.js'
import { recordKey, scopeKey } from './types.js'

export interface FileStorageOptions {
  /** Flush each write to disk before acknowledging it. @default true */
  fsync?: boolean
  /** Lines that could not be read back (a torn write, a hand edit) are skipped and reported here. */
  onCorruptLine?: (file: string, line: number) => void
  /**
   * Rooms kept in memory (their records, and an open file once written to). The least
   * recently used idle room beyond this is closed, and read back from disk when next used.
   * Each may hold a file descriptor, so keep it well below the process's `ulimit -n`.
   * @default 128
   */
  maxOpenRooms?: number
}

/** A room in the cache; `users` counts the operations in progress, which keep it open. */
interface CachedRoom {
  readonly log: Promise<RoomLog>
  users: number
}

/**
 * The reference server's embedded storage: plain files, no native addon.
 *
 * Records: one append-only JSON-lines log per room (`records/<sha256>.jsonl`), replayed at
 * first use and compacted by rewrite-and-rename once dead lines outnumber live records.
 * A torn last line from a crash is skipped, so a restart never loses acknowledged writes.
 * Reads never create files, and at most `maxOpenRooms` rooms stay in memory (LRU), so a
 * client touching endless new rooms cannot exhaust memory or file descriptors.
 * Documents: one file per document (`docs/<sha256>.automerge`), replaced atomically.
 * File names are hashes, so no room name or document id can reach outside `dir`.
 */
export function fileStorage(dir: string, options: FileStorageOptions = {}): StorageProvider {
  const fsync = options.fsync ?? true
  const maxOpenRooms = Math.max(1, options.maxOpenRooms ?? 128)
  /** In least-recently-used order: a room moves to the end each time it is used. */
  const rooms = new Map<string, CachedRoom>()
  /** Evicted rooms still closing their file; `close()` waits for them. */
  const closing = new Set<Promise<void>>()
  const docWrites = new Map<string, Promise<void>>()
  const recordsDir = join(dir, 'records')
  const docsDir = join(dir, 'docs')
  let closed = false

  const assertOpen = (): void => {
    if (closed) throw new Error('fileStorage is closed')
  }

  /** Closes the least recently used idle rooms until the cache is within its cap. */
  const evictIdle = (): void => {
    for (const [key, room] of rooms) {
      if (rooms.size <= maxOpenRooms) return
      if (room.users > 0) continue
      rooms.delete(key)
      const done = room.log.then((log) => log.close()).catch(() => {})
      closing.add(done)
      void done.then(() => closing.delete(done))
    }
  }

  /** Runs `operation` on the room's log, keeping the room open (not evictable) until it settles. */
  const withRoom = async <T>(scope: RecordScope, operation: (log: RoomLog) => T | Promise<T>): Promise<T> => {
    assertOpen()
    const key = scopeKey(scope)
    let room = rooms.get(key)
    if (room) {
      rooms.delete(key)
      rooms.set(key, room)
    } else {
      const created: CachedRoom = (room = { log: RoomLog.load(join(recordsDir, `${hash(key)}.jsonl`), scope, fsync, options.onCorruptLine), users: 0 })
      rooms.set(key, created)
      // A failed open (disk full, permissions) must not poison the room forever.
      created.log.catch(() => {
        if (rooms.get(key) === created) rooms.delete(key)
      })
    }
    room.users++
    evictIdle()
    try {
      return await operation(await room.log)
    } finally {
      room.users--
      evictIdle()
    }
  }

  return {
    listRecords: (scope) => withRoom(scope, (log) => [...log.records.values()]),
    getRecord: (scope, did, rkey) => withRoom(scope, (log) => log.records.get(recordKey(did, rkey))),
    putRecord: (scope, record) => withRoom(scope, (log) => log.put(record)),
    deleteRecord: (scope, did, rkey) =>
      withRoom(scope, async (log) => {
        if (!log.records.has(recordKey(did, rkey))) return false
        await log.delete(did, rkey)
        return true
      }),
    async loadDoc(documentId) {
      assertOpen()
      await docWrites.get(documentId)
      try {
        return new Uint8Array(await readFile(join(docsDir, `${hash(documentId)}.automerge`)))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    async saveDoc(documentId, binary) {
      assertOpen()
      const copy = binary.slice()
      const previous = docWrites.get(documentId) ?? Promise.resolve()
      const write = previous.then(() => replaceFile(docsDir, `${hash(documentId)}.automerge`, copy, fsync))
      const settled = write.catch(() => {})
      docWrites.set(documentId, settled)
      void settled.then(() => {
        if (docWrites.get(documentId) === settled) docWrites.delete(documentId)
      })
      return write
    },
    async close() {
      if (closed) return
      closed = true
      await Promise.all(docWrites.values())
      const open = [...rooms.values()]
      rooms.clear()
      await Promise.all(open.map((room) => room.log.then((log) => log.close()).catch(() => {})))
      await Promise.all(closing)
    },
  }
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex')
