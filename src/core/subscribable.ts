/** A listener set: the `subscribe` half of the useSyncExternalStore contract. */
export class Listeners {
  #listeners = new Set<() => void>()

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  get size(): number {
    return this.#listeners.size
  }

  notify(): void {
    // Copy first: a listener may unsubscribe (or subscribe) while we iterate.
    for (const listener of [...this.#listeners]) listener()
  }
}
