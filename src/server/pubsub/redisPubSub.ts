import type { Redis } from 'ioredis'
import type { PubSub } from './types.js'

export interface RedisPubSubOptions {
  /** `redis://host:port/db` (with credentials if needed). */
  url: string
  /** Topics are prefixed with this, so several apps can share one Redis. @default 'syncline:' */
  prefix?: string
  /** Told when the Redis connection drops or comes back. @default console.warn */
  log?: (message: string) => void
}

interface Topic {
  readonly listeners: Set<(message: Uint8Array) => void>
  /** The SUBSCRIBE in flight or done: later subscribers of the topic wait for it too. */
  readonly subscribed: Promise<unknown>
}

/**
 * Pub/sub through Redis, on `ioredis` (an optional peer dependency: install it to use this).
 * Two connections, because a subscribing Redis connection cannot publish. ioredis reconnects
 * and restores subscriptions by itself; `onStatus` reports the gap so the server can resync.
 */
export function redisPubSub(options: RedisPubSubOptions): PubSub {
  const prefix = options.prefix ?? 'syncline:'
  const log = options.log ?? ((message: string) => console.warn(message))
  const topics = new Map<string, Topic>()
  const statusListeners = new Set<(status: 'up' | 'down') => void>()
  let connections: Promise<{ publisher: Redis; subscriber: Redis }> | null = null
  let down = false
  let closed = false

  const setStatus = (status: 'up' | 'down'): void => {
    if ((status === 'down') === down) return
    down = status === 'down'
    log(status === 'down' ? 'syncline: lost the Redis connection; cross-instance fan-out paused' : 'syncline: Redis connection back; fan-out resumed')
    for (const listener of [...statusListeners]) listener(status)
  }

  const connect = (): Promise<{ publisher: Redis; subscriber: Redis }> => {
    connections ??= (async () => {
      const { Redis } = await import('ioredis')
      // No offline queue: while Redis is away a publish fails at once instead of piling up in
      // memory; the receivers' resync on reconnect covers what was not delivered.
      const publisher = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false })
      const subscriber = new Redis(options.url, { lazyConnect: true, autoResubscribe: true })
      for (const connection of [publisher, subscriber]) {
        // ioredis retries by itself; an 'error' listener keeps it from crashing the process.
        connection.on('error', () => {})
      }
      for (const connection of [publisher, subscriber]) {
        connection.on('close', () => {
          if (!closed) setStatus('down')
        })
        // 'ready' follows every reconnect (for the subscriber, after ioredis has restored its
        // subscriptions); fan-out is back once both connections are.
        connection.on('ready', () => {
          if (publisher.status === 'ready' && subscriber.status === 'ready') setStatus('up')
        })
      }
      subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
        const topic = topics.get(channel.toString('utf8').slice(prefix.length))
        if (!topic) return
        const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength)
        for (const listener of [...topic.listeners]) listener(bytes)
      })
      await Promise.all([publisher.connect(), subscriber.connect()])
      return { publisher, subscriber }
    })()
    return connections
  }

  return {
    async publish(topic, message) {
      if (closed) return
      const { publisher } = await connect()
      // Just after a reconnect the publisher may trail the subscriber by a moment: wait a
      // little for it rather than drop the message; a longer outage is the resync's job.
      if (publisher.status !== 'ready') await readyWithin(publisher, 2000)
      await publisher.publish(prefix + topic, Buffer.from(message.buffer, message.byteOffset, message.byteLength))
    },
    async subscribe(topic, listener) {
      const { subscriber } = await connect()
      let entry = topics.get(topic)
      if (!entry) {
        entry = { listeners: new Set(), subscribed: subscriber.subscribe(prefix + topic) }
        topics.set(topic, entry)
      }
      entry.listeners.add(listener)
      await entry.subscribed
      const subscribed = entry
      return async () => {
        subscribed.listeners.delete(listener)
        if (subscribed.listeners.size > 0 || topics.get(topic) !== subscribed) return
        topics.delete(topic)
        if (!closed) await subscriber.unsubscribe(prefix + topic).catch(() => {})
      }
    },
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    async close() {
      if (closed) return
      closed = true
      topics.clear()
      const opened = await connections?.catch(() => null)
      if (opened) await Promise.all([opened.publisher.quit().catch(() => {}), opened.subscriber.quit().catch(() => {})])
    },
  }
}

function readyWithin(connection: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      connection.off('ready', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    connection.once('ready', done)
  })
}
