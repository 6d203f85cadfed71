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
      const publisher = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 })
      const subscriber = new Redis(options.url, { lazyConnect: true, autoResubscribe: true })
      for (const connection of [publisher, subscriber]) {
        // ioredis retries by itself; an 'error' listener keeps it from crashing the process.
        connection.on('error', () => {})
      }
      subscriber.on('close', () => {
        if (!closed) setStatus('down')
      })
      // 'ready' follows every reconnect, after ioredis has restored the subscriptions.
      subscriber.on('ready', () => setStatus('up'))
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
