import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Issue 13, item 5: file storage used to keep every room it had ever seen open (a file
 * descriptor and its records), and created a file for a plain read. Under a low descriptor
 * limit, new rooms then failed for every user. Here `syncline serve` runs with at most 256
 * descriptors (soft and hard, so Node cannot raise it) and serves thousands of rooms.
 */
const CLI = join(import.meta.dirname, '../../src/server/cli.ts')
const FD_LIMIT = 256
const READ_ROOMS = 1500
const WRITTEN_ROOMS = 1500
const CONCURRENCY = 8
const COLLECTION = 'com.example.message'

interface Serve {
  url: string
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

async function serve(dir: string): Promise<Serve> {
  const child = spawn('prlimit', [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, process.execPath, '--import', 'tsx', CLI, 'serve', '--port', '0', '--data', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const deadline = Date.now() + 20_000
  let match: RegExpExecArray | null = null
  while ((match = /listening on (http:\/\/\S+)/.exec(output)) === null && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (match === null) throw new Error(`syncline serve did not print "listening on": ${output}`)
  return { url: match[1]!, child, output: () => output, exited }
}

/** Runs `task(i)` for i in [0, n), `CONCURRENCY` at a time. */
async function inParallel(n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await task(next++)
    }),
  )
}

// A few keep-alive connections, so the client side does not use up the server's descriptors.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function call(url: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, method: init.method ?? 'GET', headers: init.body === undefined ? {} : { 'content-type': 'application/json' } }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) })
        } catch {
          resolve({ status: response.statusCode ?? 0, body: text })
        }
      })
    })
    outgoing.on('error', reject)
    outgoing.end(init.body)
  })
}

const putRecord = (base: string, room: string, rkey: string, text: string) =>
  call(`${base}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    body: JSON.stringify({ roomUri: room, rkey, value: { text }, did: 'did:example:alice' }),
  })

const listRecords = (base: string, room: string) => call(`${base}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}`)

describe(`syncline serve with ${FD_LIMIT} file descriptors`, () => {
  let dir: string
  let server: Serve | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncline-fd-'))
  })
  afterAll(async () => {
    server?.child.kill('SIGKILL')
    agent.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers 2xx for thousands of rooms, creates no file for a read, and keeps every write', { timeout: 180_000 }, async () => {
    server = await serve(dir)
    const failures: string[] = []
    const expectOk = (what: string, status: number, body: unknown): void => {
      if (status < 200 || status > 299) failures.push(`${what}: HTTP ${status} ${JSON.stringify(body)}`)
    }

    await inParallel(READ_ROOMS, async (i) => {
      const { status, body } = await listRecords(server!.url, `read-only-${i}`)
      expectOk(`listRecords read-only-${i}`, status, body)
    })
    expect(failures.slice(0, 5)).toEqual([])
    // A read of a room nobody wrote to leaves nothing behind on disk.
    expect(await readdir(dir).catch(() => [])).not.toContain('records')

    await inParallel(WRITTEN_ROOMS, async (i) => {
      const { status, body } = await putRecord(server!.url, `written-${i}`, 'first', `room ${i}`)
      expectOk(`putRecord written-${i}`, status, body)
    })
    expect(failures.slice(0, 5)).toEqual([])
    expect(await readdir(join(dir, 'records'))).toHaveLength(WRITTEN_ROOMS)

    // Rooms long since closed are read back from disk, and take a second write.
    const readBack = async (base: string, rkeys: string[]): Promise<void> => {
      const wrong: string[] = []
      await inParallel(WRITTEN_ROOMS, async (i) => {
        const { status, body } = await listRecords(base, `written-${i}`)
        expectOk(`listRecords written-${i}`, status, body)
        const records = (body as { records?: Array<{ rkey: string; value: { text: string } }> }).records ?? []
        const seen = records.map((record) => `${record.rkey}=${record.value.text}`).sort()
        const wanted = rkeys.map((rkey) => `${rkey}=${rkey === 'first' ? `room ${i}` : `second ${i}`}`).sort()
        if (JSON.stringify(seen) !== JSON.stringify(wanted)) wrong.push(`written-${i}: ${JSON.stringify(seen)}`)
      })
      expect(wrong.slice(0, 5)).toEqual([])
    }
    await inParallel(WRITTEN_ROOMS, async (i) => {
      const { status, body } = await putRecord(server!.url, `written-${i}`, 'second', `second ${i}`)
      expectOk(`putRecord again written-${i}`, status, body)
    })
    await readBack(server.url, ['first', 'second'])
    expect(failures.slice(0, 5)).toEqual([])
    expect(server.output()).not.toMatch(/EMFILE/)

    // And it all survives a restart.
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    server = await serve(dir)
    await readBack(server.url, ['first', 'second'])
    expect(failures.slice(0, 5)).toEqual([])
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    server = undefined
  })
})
