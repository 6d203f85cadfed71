/**
 * How server instances tell each other about writes, so N instances behind one address act
 * as one server. One process needs nothing more than `memoryPubSub()`; several processes
 * share `redisPubSub({ url })`. Delivery is at most once and only to instances subscribed at
 * the time: anything that must not be lost is in the shared storage first, and a message
 * only says where to look. (contrail separates its in-memory and Durable-Object pub/sub the
 * same way.)
 */
export interface PubSub {
  /** Sends `message` to every subscriber of `topic`, in any instance (this one included). */
  publish(topic: string, message: Uint8Array): Promise<void>
  /**
   * Calls `listener` with every message published on `topic` from now on. Resolves once the
   * subscription is in place, with a function that ends it.
   */
  subscribe(topic: string, listener: (message: Uint8Array) => void): Promise<() => Promise<void>>
  /**
   * Calls `listener` when the connection to the broker drops (`'down'`) and when it is back
   * with every subscription restored (`'up'`). Messages published while down are lost, so a
   * server resyncs its clients from storage on `'up'`.
   */
  onStatus(listener: (status: 'up' | 'down') => void): () => void
  close(): Promise<void>
}
