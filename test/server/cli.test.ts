import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'

const CLI = join(import.meta.dirname, '../../src/server/cli.ts')
/**
 * tsx compiles the whole server as the CLI starts: with both cores busy that alone has taken
 * over 15 s. A start is waited for this long, and each test here may take twice that.
 */
const STARTUP_MS = 40_000
const TEST_MS = 90_000

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

async function serve(dir: string, storageArgs = ['--data', dir]): Promise<{ url: string; stop: () => Promise<number | null>; kill: () => Promise<number | null> }> {
  const server = run(['serve', '--port', '0', ...storageArgs])
  const deadline = Date.now() + STARTUP_MS
  let match: RegExpExecArray | null = null
  while (!(match = /listening on (http:\/\/\S+)/.exec(server.output())) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!match) throw new Error(`The CLI did not start: ${server.output()}`)
  return {
    url: match[1]!,
    stop: () => {
      server.child.kill('SIGTERM')
      return server.exited
    },
    kill: () => {
      server.child.kill('SIGKILL')
      return server.exited
    },
  }
}

describe('syncline serve', { timeout: TEST_MS }, () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncline-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('prints help, and refuses unknown commands and bad ports', async () => {
    const help = run(['--help'])
    expect(await help.exited).toBe(0)
    expect(help.output()).toContain('Usage: syncline serve')
    const unknown = run(['frobnicate'])
    expect(await unknown.exited).toBe(2)
    const badPort = run(['serve', '--port', 'eighty'])
    expect(await badPort.exited).toBe(2)
    expect(badPort.output()).toContain('--port')
    expect(help.output()).toMatch(/--ticket-secret[\s\S]*SYNCLINE_TICKET_SECRET/)
  })

  it('takes its settings from the environment too, and refuses a malformed ticket secret', async () => {
    const envDir = join(dir, 'from-env')
    const server = run(['serve'], { SYNCLINE_PORT: '0', SYNCLINE_DATA: envDir, SYNCLINE_TICKET_SECRET: 'ab'.repeat(32) })
    const deadline = Date.now() + STARTUP_MS
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(server.output())) {
      if (Date.now() > deadline) throw new Error(`The CLI did not start within ${STARTUP_MS} ms: ${server.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(server.output()).toContain(`data in ${envDir}`)
    expect(server.output()).not.toContain(':3030')
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const badSecret = run(['serve', '--port', '0', '--memory', '--ticket-secret', 'not-hex'])
    expect(await badSecret.exited).not.toBe(0)
    expect(badSecret.output()).toMatch(/secret/i)
  })

  it('builds the handshake\'s wsUrl on --public-url', async () => {
    const server = await serve(dir, ['--memory', '--public-url', 'https://sync.example.test/base'])
    const handshake = (await (await fetch(`${server.url}/xrpc/com.example.message.watchRecords?roomUri=r&mode=ws`)).json()) as { wsUrl: string }
    expect(handshake.wsUrl.startsWith('wss://sync.example.test/base/xrpc/com.example.message.watchRecords?')).toBe(true)
    expect(await server.stop()).toBe(0)
  })

  it('serves from a data directory that survives a restart, and shuts down cleanly on SIGTERM', async () => {
    const first = await serve(dir)
    const put = await fetch(`${first.url}/xrpc/com.example.message.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: 'cli', rkey: 'kept', value: { text: 'hello' } }),
    })
    expect(put.status).toBe(200)
    expect(await first.stop()).toBe(0)

    const second = await serve(dir)
    const listed = (await (await fetch(`${second.url}/xrpc/com.example.message.listRecords?roomUri=cli`)).json()) as { records: Array<{ rkey: string }> }
    expect(listed.records.map((r) => r.rkey)).toEqual(['kept'])
    expect(await second.stop()).toBe(0)
  })

  it('keeps every acknowledged write through kill -9', async () => {
    const killDir = await mkdtemp(join(tmpdir(), 'syncline-kill-'))
    const first = await serve(killDir)
    // Writes in flight together, as a busy server would have them; each is acknowledged.
    const acknowledged = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${first.url}/xrpc/com.example.message.putRecord`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ roomUri: 'durable', rkey: `k${i}`, value: { text: `message ${i}` } }),
        }).then((response) => (response.ok ? `k${i}` : null)),
      ),
    )
    await fetch(`${first.url}/xrpc/com.example.message.deleteRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: 'durable', rkey: 'k0' }),
    })
    expect(await first.kill()).toBeNull()

    const second = await serve(killDir)
    const listed = (await (await fetch(`${second.url}/xrpc/com.example.message.listRecords?roomUri=durable&limit=100`)).json()) as { records: Array<{ rkey: string }> }
    expect(listed.records.map((r) => r.rkey).sort()).toEqual(acknowledged.filter((key) => key !== null && key !== 'k0').sort())
    expect(listed.records).toHaveLength(39)
    await second.stop()
    await rm(killDir, { recursive: true, force: true })
  })

  it('keeps every document edit the server acknowledged through kill -9', async () => {
    const killDir = await mkdtemp(join(tmpdir(), 'syncline-kill-docs-'))
    const first = await serve(killDir)
    const socket = (url: string) => createDocConnection({ url: url.replace('http', 'ws'), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: false })
    const writer = socket(first.url)
    writer.start()
    const store = writer.create<{ lines: string[] }>({ lines: [] })
    for (let i = 0; i < 20; i++) {
      store.change((doc) => void doc.lines.push(`line ${i}`))
      // Each edit in its own round: acknowledged one by one, as typing would be.
      await store.whenSaved('server')
    }
    // The moment saved.server is true, the process dies without any chance to flush.
    expect(await first.kill()).toBeNull()
    await writer.close()

    const second = await serve(killDir)
    const reader = socket(second.url)
    reader.start()
    const reopened = reader.open<{ lines: string[] }>(store.url)
    const deadline = Date.now() + 10_000
    while (reopened.getSnapshot().doc?.lines.length !== 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(reopened.getSnapshot().doc?.lines).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`))
    await reader.close()
    await second.stop()
    await rm(killDir, { recursive: true, force: true })
  })

  it.runIf(process.env.SYNCLINE_TEST_POSTGRES_URL !== undefined)('stores in PostgreSQL with --postgres, and keeps acknowledged writes through kill -9', async () => {
    const url = process.env.SYNCLINE_TEST_POSTGRES_URL!
    const room = `pg-durable-${Date.now()}`
    const first = await serve(dir, ['--postgres', url])
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${first.url}/xrpc/com.example.message.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: room, rkey: `k${i}`, value: { text: `${i}` } }),
      })
      expect(response.status).toBe(200)
    }
    expect(await first.kill()).toBeNull()
    const second = await serve(dir, ['--postgres', url])
    const listed = (await (await fetch(`${second.url}/xrpc/com.example.message.listRecords?roomUri=${room}`)).json()) as { records: unknown[] }
    expect(listed.records).toHaveLength(5)
    await second.stop()
  })
})
