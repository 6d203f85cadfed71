import type { PubSub } from './types.js'

/**
 * Pub/sub inside one process: the default. Several servers created in one process (tests,
 * or one instance per core behind a balancer in the same process) may share one.
 */
export function memoryPubSub(): PubSub {
  const topics = new Map<string, Set<(message: Uint8Array) => void>>()
  let closed = false
  return {
    async publish(topic, message) {
      if (closed) return
      // Delivered on a later task, as a broker would: a publisher never re-enters its own listeners.
      const listeners = [...(topics.get(topic) ?? [])]
      if (listeners.length === 0) return
      const copy = message.slice()
      setTimeout(() => {
        for (const listener of listeners) listener(copy)
      }, 0)
    },
    async subscribe(topic, listener) {
      let listeners = topics.get(topic)
      if (!listeners) topics.set(topic, (listeners = new Set()))
      listeners.add(listener)
      return async () => {
        listeners.delete(listener)
        if (listeners.size === 0 && topics.get(topic) === listeners) topics.delete(topic)
      }
    },
    onStatus: () => () => {},
    async close() {
      closed = true
      topics.clear()
    },
  }
}
