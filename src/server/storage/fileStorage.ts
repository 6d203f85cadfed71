import { createHash, randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { RecordScope, StorageProvider, StoredRecord } from './types.js'
import { recordKey, scopeKey } from './types.js'

export interface FileStorageOptions {
  /** Flush each write to disk before acknowledging it. @default true */
  fsync?: boolean
  /** Lines that could not be read back (a torn write, a hand edit) are skipped and reported here. */
  onCorruptLine?: (file: string, line: number) => void
}

type LogLine =
  | { op: 'scope'; collection: string; room: string }
  | { op: 'put'; record: StoredRecord }
  | { op: 'del'; did: string; rkey: string }

/** One room's append-only log, replayed into memory when first used. */
interface RoomLog {
  readonly file: string
  readonly scope: RecordScope
  readonly records: Map<string, StoredRecord>
  handle: FileHandle
  /** Lines in the file, to decide when compaction pays off. */
  lines: number
  /** Writes to one file are serialised so that lines never interleave. */
  queue: Promise<void>
}

/** Below this many dead lines a rewrite costs more than it saves. */
const COMPACTION_SLACK = 64

/**
 * The reference server's embedded storage: plain files, no native addon.
 *
 * Records: one append-only JSON-lines log per room (`records/<sha256>.jsonl`), replayed at
 * first use and compacted by rewrite-and-rename once dead lines outnumber live records.
 * A torn last line from a crash is skipped, so a restart never loses acknowledged writes.
 * Documents: one file per document (`docs/<sha256>.automerge`), replaced atomically.
 * File names are hashes, so no room name or document id can reach outside `dir`.
 */
export function fileStorage(dir: string, options: FileStorageOptions = {}): StorageProvider {
  const fsync = options.fsync ?? true
  const rooms = new Map<string, Promise<RoomLog>>()
  const docWrites = new Map<string, Promise<void>>()
  const recordsDir = join(dir, 'records')
  const docsDir = join(dir, 'docs')
  let closed = false

  const assertOpen = (): void => {
    if (closed) throw new Error('fileStorage is closed')
  }

  const room = (scope: RecordScope): Promise<RoomLog> => {
    assertOpen()
    const key = scopeKey(scope)
    let log = rooms.get(key)
    if (!log) {
      log = openRoom(join(recordsDir, `${hash(key)}.jsonl`), scope, options.onCorruptLine)
      rooms.set(key, log)
      // A failed open (disk full, permissions) must not poison the room forever.
      log.catch(() => rooms.delete(key))
    }
    return log
  }

  /** Appends `line`, then `apply`s it to the records in memory before any compaction rewrites the log from them. */
  const append = (log: RoomLog, line: LogLine, apply: () => void): Promise<void> => {
    const write = log.queue.then(async () => {
      await log.handle.appendFile(`${JSON.stringify(line)}\n`)
      if (fsync) await log.handle.datasync()
      apply()
      log.lines++
      if (log.lines > 2 * log.records.size + COMPACTION_SLACK) await compact(log, fsync)
    })
    // The next write waits for this one whether or not it failed.
    log.queue = write.catch(() => {})
    return write
  }

  return {
    async listRecords(scope) {
      return [...(await room(scope)).records.values()]
    },
    async getRecord(scope, did, rkey) {
      return (await room(scope)).records.get(recordKey(did, rkey))
    },
    async putRecord(scope, record) {
      const log = await room(scope)
      await append(log, { op: 'put', record }, () => log.records.set(recordKey(record.did, record.rkey), record))
    },
    async deleteRecord(scope, did, rkey) {
      const log = await room(scope)
      if (!log.records.has(recordKey(did, rkey))) return false
      await append(log, { op: 'del', did, rkey }, () => log.records.delete(recordKey(did, rkey)))
      return true
    },
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
      const logs = await Promise.allSettled(rooms.values())
      await Promise.all(
        logs.map(async (result) => {
          if (result.status !== 'fulfilled') return
          await result.value.queue
          await result.value.handle.close()
        }),
      )
      rooms.clear()
    },
  }
}

async function openRoom(file: string, scope: RecordScope, onCorruptLine: FileStorageOptions['onCorruptLine']): Promise<RoomLog> {
  await mkdir(dirname(file), { recursive: true })
  const records = new Map<string, StoredRecord>()
  let lines = 0
  let damaged = false
  let text = ''
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const rows = text.split('\n')
  // A file that does not end in a newline ends in a torn write.
  if (rows.at(-1) === '') rows.pop()
  rows.forEach((row, index) => {
    const line = parseLine(row)
    if (!line) {
      damaged = true
      onCorruptLine?.(file, index + 1)
      return
    }
    lines++
    if (line.op === 'put') records.set(recordKey(line.record.did, line.record.rkey), line.record)
    else if (line.op === 'del') records.delete(recordKey(line.did, line.rkey))
  })
  const log: RoomLog = { file, scope, records, lines, handle: await open(file, 'a'), queue: Promise.resolve() }
  if (text === '') {
    await log.handle.appendFile(`${JSON.stringify({ op: 'scope', ...scope } satisfies LogLine)}\n`)
    log.lines = 1
  } else if (damaged) {
    // Rewrite now so that the next append does not land on the end of a torn line.
    await compact(log, true)
  }
  return log
}

function parseLine(row: string): LogLine | null {
  let line: unknown
  try {
    line = JSON.parse(row)
  } catch {
    return null
  }
  if (typeof line !== 'object' || line === null) return null
  const { op } = line as { op?: unknown }
  if (op === 'scope') return line as LogLine
  if (op === 'del') {
    const { did, rkey } = line as { did?: unknown; rkey?: unknown }
    return typeof did === 'string' && typeof rkey === 'string' ? (line as LogLine) : null
  }
  if (op === 'put') {
    const { record } = line as { record?: Partial<StoredRecord> }
    return typeof record?.did === 'string' && typeof record.rkey === 'string' && typeof record.uri === 'string' ? (line as LogLine) : null
  }
  return null
}

/** Rewrites a room's log with only its live records, then swaps it in atomically. */
async function compact(log: RoomLog, fsync: boolean): Promise<void> {
  const lines: LogLine[] = [{ op: 'scope', ...log.scope }, ...[...log.records.values()].map((record) => ({ op: 'put' as const, record }))]
  await replaceFile(dirname(log.file), basename(log.file), new TextEncoder().encode(lines.map((line) => `${JSON.stringify(line)}\n`).join('')), fsync)
  await log.handle.close()
  log.handle = await open(log.file, 'a')
  log.lines = lines.length
}

/** Write to a temporary file, flush, rename over: readers see the old or the new file, never half. */
async function replaceFile(directory: string, name: string, bytes: Uint8Array, fsync: boolean): Promise<void> {
  await mkdir(directory, { recursive: true })
  const target = join(directory, name)
  const temporary = join(directory, `.${name}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temporary, 'w')
  try {
    await handle.writeFile(bytes)
    if (fsync) await handle.datasync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex')
