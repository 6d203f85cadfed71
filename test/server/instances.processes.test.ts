import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../src/core/docs/types.js'
import { balancer } from '../support/balancer.js'
import { newRoom, openStore, putRecord } from '../support/records.js'
import type { TestRedis } from '../support/redis.js'
import { startRedis } from '../support/redis.js'

/**
 * Two `syncline serve` processes sharing a real PostgreSQL and fanning out through a real
 * Redis, behind a small TCP balancer. Runs where SYNCLINE_TEST_POSTGRES_URL is set (`.ci/run`).
 */
const POSTGRES_URL = process.env.SYNCLINE_TEST_POSTGRES_URL
const CLI = join(import.meta.dirname, '../../src/server/cli.ts')

interface Instance {
  url: string
  child: ChildProcess
  output: () => string
}

async function serve(redisUrl: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--postgres', POSTGRES_URL!, '--redis', redisUrl], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const deadline = Date.now() + 40_000
  let match: RegExpExecArray | null = null
  while (!(match = /listening on (http:\/\/\S+)/.exec(output)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (!match) throw new Error(`The instance did not start: ${output}`)
  return { url: match[1]!, child, output: () => output }
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Awaits one step of a test, bounded, so a hang fails with the step's name instead of the test's timeout. */
async function step<T>(name: string, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    throw new Error(`Step failed: ${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

const SAVED_WITHIN = { timeoutMs: 20_000 }

const docClient = (url: string): DocConnection => {
  const connection = createDocConnection({ url: url.replace('http', 'ws'), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } })
  connection.start()
  return connection
}

describe.runIf(POSTGRES_URL !== undefined)('two server processes on PostgreSQL + Redis', () => {
  let redis: TestRedis
  let one: Instance
  let two: Instance
  beforeAll(async () => {
    redis = await startRedis()
    ;[one, two] = await Promise.all([serve(redis.url), serve(redis.url)])
  }, 60_000)
  afterAll(async () => {
    for (const instance of [one, two]) instance?.child.kill('SIGKILL')
    await redis?.stop()
  })

  it('a client on each instance sees the other\'s record writes and document edits', async () => {
    const room = newRoom()
    const watcher = openStore(two.url, room)
    await until(() => watcher.getSnapshot().status === 'live', 'the watch on two')
    await putRecord(one.url, room, { text: 'via one' })
    await until(() => watcher.getSnapshot().records.some((record) => record.value.text === 'via one'), 'the record on two')

    const a = docClient(one.url)
    const b = docClient(two.url)
    const storeA = a.create<{ lines: string[] }>({ lines: ['start'] })
    await storeA.whenSaved('server')
    const storeB = b.open<{ lines: string[] }>(storeA.url)
    await until(() => storeB.getSnapshot().doc !== undefined, 'two to load the document')
    storeA.change((doc) => void doc.lines.push('from one'))
    storeB.change((doc) => void doc.lines.push('from two'))
    await until(() => storeA.getSnapshot().doc?.lines.length === 3 && storeB.getSnapshot().doc?.lines.length === 3, 'convergence across instances')
    expect(storeA.getSnapshot().doc?.lines).toEqual(storeB.getSnapshot().doc?.lines)
    await Promise.all([watcher.stop(), a.close(), b.close()])
  }, 60_000)

  it('resumes fan-out after Redis drops and returns, and clients catch up on what was missed', async () => {
    const room = newRoom()
    const watcher = openStore(two.url, room)
    await until(() => watcher.getSnapshot().status === 'live', 'the watch on two')
    const b = docClient(two.url)
    const a = docClient(one.url)
    const storeA = a.create<{ n: number }>({ n: 0 })
    await storeA.whenSaved('server')
    const storeB = b.open<{ n: number }>(storeA.url)
    await until(() => storeB.getSnapshot().doc?.n === 0, 'two to load the document')

    await redis.stop()
    await until(() => one.output().includes('lost the Redis connection'), 'one to log the loss')
    // Written while no notice can travel: stored, but two does not hear of it.
    await putRecord(one.url, room, { text: 'while redis was down' })
    storeA.change((doc) => void (doc.n = 1))
    await storeA.whenSaved('server')
    await redis.start()
    await until(() => watcher.getSnapshot().records.some((record) => record.value.text === 'while redis was down'), 'the record after the resync', 30_000)
    await until(() => storeB.getSnapshot().doc?.n === 1, 'the edit after the resync', 30_000)
    // And live fan-out works again.
    await putRecord(one.url, room, { text: 'after' })
    await until(() => watcher.getSnapshot().records.some((record) => record.value.text === 'after'), 'a live record after the resync')
    await Promise.all([watcher.stop(), a.close(), b.close()])
  }, 90_000)

  it('loses nothing acknowledged when the instance a client uses is killed: it reconnects through the balancer to the other', async () => {
    let alive = [one.url, two.url]
    const front = await balancer(() => alive)
    const room = newRoom()
    const client = docClient(front.url)
    const store = client.create<{ lines: string[] }>({ lines: [] })
    const watcher = openStore(front.url, room)
    await step('the watch live through the balancer', until(() => watcher.getSnapshot().status === 'live', 'the watch through the balancer'))
    for (let i = 0; i < 10; i++) {
      store.change((doc) => void doc.lines.push(`before ${i}`))
      await step(`line ${i} saved on the server before the kill`, store.whenSaved('server', SAVED_WITHIN))
    }
    await step('the record acknowledged before the kill', putRecord(front.url, room, { text: 'acknowledged before the kill' }))

    one.child.kill('SIGKILL')
    alive = [two.url]
    for (let i = 0; i < 5; i++) store.change((doc) => void doc.lines.push(`after ${i}`))
    await step('the lines written after the kill saved through two', store.whenSaved('server', SAVED_WITHIN))
    await step('the watch back live through two', until(() => watcher.getSnapshot().status === 'live', 'the watch back through two', 30_000))

    const reader = docClient(two.url)
    const check = reader.open<{ lines: string[] }>(store.url)
    await step('a fresh reader on two sees all 15 lines', until(() => check.getSnapshot().doc?.lines.length === 15, 'all 15 lines on two', 30_000))
    expect(watcher.getSnapshot().records.map((record) => record.value.text)).toContain('acknowledged before the kill')
    await Promise.all([watcher.stop(), client.close(), reader.close(), front.close()])
  }, 90_000)
})
