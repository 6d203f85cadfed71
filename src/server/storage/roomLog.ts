import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { RecordScope, StoredRecord } from './types.js'
import { recordKey } from './types.js'

type LogLine =
  | { op: 'scope'; collection: string; room: string }
  | { op: 'put'; record: StoredRecord }
  | { op: 'del'; did: string; rkey: string }

/** Below this many dead lines a rewrite costs more than it saves. */
const COMPACTION_SLACK = 64

/**
 * One room's append-only JSON-lines log, replayed into memory when loaded. The file and its
 * directory are created by the first write, never by a read, and the append handle is
 * opened by the first write too: a room that is only read holds no file descriptor.
 */
export class RoomLog {
  readonly file: string
  readonly scope: RecordScope
  readonly records: Map<string, StoredRecord>
  readonly #fsync: boolean
  #handle: FileHandle | undefined
  /** Lines in the file (0: no file yet), to decide when compaction pays off. */
  #lines: number
  /** Writes to one file are serialised so that lines never interleave. */
  #queue: Promise<void> = Promise.resolve()

  private constructor(file: string, scope: RecordScope, records: Map<string, StoredRecord>, lines: number, fsync: boolean) {
    this.file = file
    this.scope = scope
    this.records = records
    this.#lines = lines
    this.#fsync = fsync
  }

  static async load(file: string, scope: RecordScope, fsync: boolean, onCorruptLine?: (file: string, line: number) => void): Promise<RoomLog> {
    let text = ''
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const records = new Map<string, StoredRecord>()
    let lines = 0
    let damaged = false
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
    const log = new RoomLog(file, scope, records, lines, fsync)
    // Rewrite now so that the next append does not land on the end of a torn line.
    if (damaged) await log.#compact(true)
    return log
  }

  put(record: StoredRecord): Promise<void> {
    return this.#append({ op: 'put', record }, () => this.records.set(recordKey(record.did, record.rkey), record))
  }

  delete(did: string, rkey: string): Promise<void> {
    return this.#append({ op: 'del', did, rkey }, () => this.records.delete(recordKey(did, rkey)))
  }

  /** Waits for the writes in flight, then releases the file. The log is not used afterwards. */
  async close(): Promise<void> {
    await this.#queue
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
  }

  /** Appends a line, flushes it, then applies it to memory: memory never runs ahead of the disk. */
  #append(line: LogLine, apply: () => void): Promise<void> {
    const write = this.#queue.then(async () => {
      const creating = this.#lines === 0
      let text = `${JSON.stringify(line)}\n`
      if (creating) text = `${JSON.stringify({ op: 'scope', ...this.scope } satisfies LogLine)}\n${text}`
      if (this.#handle === undefined) {
        await makeDirectory(dirname(this.file), this.#fsync)
        this.#handle = await open(this.file, 'a')
      }
      await this.#handle.appendFile(text)
      if (this.#fsync) {
        await this.#handle.datasync()
        // A new file's name lives in its directory, which the file's own flush does not cover.
        if (creating) await syncDirectory(dirname(this.file))
      }
      this.#lines += creating ? 2 : 1
      apply()
      if (this.#lines > 2 * this.records.size + COMPACTION_SLACK) await this.#compact(this.#fsync)
    })
    // The next write waits for this one whether or not it failed.
    this.#queue = write.catch(() => {})
    return write
  }

  /** Rewrites the log with only its live records, then swaps it in atomically. */
  async #compact(fsync: boolean): Promise<void> {
    const lines: LogLine[] = [{ op: 'scope', ...this.scope }, ...[...this.records.values()].map((record) => ({ op: 'put' as const, record }))]
    await replaceFile(dirname(this.file), basename(this.file), new TextEncoder().encode(lines.map((line) => `${JSON.stringify(line)}\n`).join('')), fsync)
    // The old handle points at the replaced file; the next write opens the new one.
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
    this.#lines = lines.length
  }
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

/** Write to a temporary file, flush, rename over: readers see the old or the new file, never half. */
export async function replaceFile(directory: string, name: string, bytes: Uint8Array, fsync: boolean): Promise<void> {
  const target = join(directory, name)
  const temporary = join(directory, `.${name}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await openCreatingDirectory(directory, temporary, fsync)
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
  // The rename is a change to the directory: until the directory is flushed, a power cut can
  // bring back the old file, and with it lose a write that was already acknowledged.
  if (fsync) await syncDirectory(directory)
}

/** Platforms that cannot open a directory for flushing (Windows) skip it; other errors are real. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL'])

/** Flushes a directory's entries (new names, renames) to disk. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(directory, 'r')
  } catch (error) {
    if (DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) return
    throw error
  }
  try {
    await handle.sync()
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error
  } finally {
    await handle.close()
  }
}

/**
 * Opens a new file for writing, making its directory only when it is missing: a document is
 * written on every change, and a mkdir per write was a fifth of the main thread's storage work.
 */
async function openCreatingDirectory(directory: string, file: string, fsync: boolean): Promise<FileHandle> {
  try {
    return await open(file, 'w')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await makeDirectory(directory, fsync)
  return open(file, 'w')
}

/**
 * `mkdir -p`, and with `fsync`, flushes the parent of each directory it made: a new
 * directory's name is an entry in its parent, and a power cut could otherwise drop the
 * directory with every file in it. Nothing is flushed when the directory was there.
 */
async function makeDirectory(directory: string, fsync: boolean): Promise<void> {
  const firstMade = await mkdir(directory, { recursive: true })
  if (!fsync || firstMade === undefined) return
  // Deepest first: `directory`'s parent, up to the parent of the first directory made.
  for (let made = directory; ; made = dirname(made)) {
    await syncDirectory(dirname(made))
    if (made === firstMade || dirname(made) === made) break
  }
}
