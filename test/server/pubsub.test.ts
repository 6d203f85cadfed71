import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PubSub } from '../../src/server/pubsub/index.js'
import { memoryPubSub, redisPubSub } from '../../src/server/pubsub/index.js'
import type { TestRedis } from '../support/redis.js'
import { startRedis } from '../support/redis.js'
import { pollUntil as until } from '../support/poll.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis.stop()
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (message: Uint8Array): string => new TextDecoder().decode(message)


/** Two "instances": pub/subs that reach each other the way two server processes would. */
const providers: Array<[string, () => [PubSub, PubSub]]> = [
  [
    'memoryPubSub (one process)',
    () => {
      const shared = memoryPubSub()
      return [shared, shared]
    },
  ],
  ['redisPubSub (two connections to one Redis)', () => [redisPubSub({ url: redis.url, log: () => {} }), redisPubSub({ url: redis.url, log: () => {} })]],
]

describe.each(providers)('%s', (_name, make) => {
  it('delivers a message to every subscriber of its topic, bytes intact, and nothing after unsubscribing', async () => {
    const [a, b] = make()
    const gotA: string[] = []
    const gotB: string[] = []
    const stopA = await a.subscribe('room:1', (message) => gotA.push(text(message)))
    const stopB = await b.subscribe('room:1', (message) => gotB.push(text(message)))
    await b.subscribe('room:2', () => gotB.push('wrong topic'))
    await a.publish('room:1', bytes('hello ✓'))
    await b.publish('room:1', new Uint8Array([0, 255, 1]))
    await until(() => gotA.length === 2 && gotB.length === 2, 'both messages on both sides')
    expect(gotA).toEqual(gotB)
    expect(gotA[0]).toBe('hello ✓')
    await stopA()
    await stopB()
    await b.publish('room:1', bytes('after'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(gotA).toHaveLength(2)
    await Promise.all([a.close(), b.close()])
  })
})

describe('redisPubSub when Redis goes away', () => {
  it('reports down and up, and delivers again after the restart without resubscribing by hand', async () => {
    const logs: string[] = []
    const subscriber = redisPubSub({ url: redis.url, log: (line) => logs.push(line) })
    const publisher = redisPubSub({ url: redis.url, log: () => {} })
    const statuses: string[] = []
    subscriber.onStatus((status) => statuses.push(status))
    const got: string[] = []
    await subscriber.subscribe('doc:x', (message) => got.push(text(message)))
    await publisher.publish('doc:x', bytes('before'))
    await until(() => got.length === 1, 'the first message')

    await redis.stop()
    await until(() => statuses.includes('down'), 'down')
    await redis.start()
    await until(() => statuses.at(-1) === 'up', 'up again', 10_000)
    await publisher.publish('doc:x', bytes('after'))
    await until(() => got.length === 2, 'a message after the restart', 10_000)
    expect(got).toEqual(['before', 'after'])
    expect(logs.some((line) => line.includes('lost the Redis connection'))).toBe(true)
    await Promise.all([subscriber.close(), publisher.close()])
  })
})
