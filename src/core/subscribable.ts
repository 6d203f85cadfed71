/** A listener set: the `subscribe` half of the useSyncExternalStore contract. */
export class Listeners {
  #listeners = new Set<() => void>()
  /**
   * The listeners as an array, made again only after a subscribe or unsubscribe: notify runs
   * on every change of every store (500 stores per event in case 2 of the benchmark), and
   * copying the set each time was an array per notification.
   */
  #list: readonly (() => void)[] | null = null

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    this.#list = null
    return () => {
      if (this.#listeners.delete(listener)) this.#list = null
    }
  }

  get size(): number {
    return this.#listeners.size
  }

  notify(): void {
    // A fixed list: a listener may unsubscribe (or subscribe) while we iterate, which makes a
    // new list and leaves this one as it was.
    const list = (this.#list ??= [...this.#listeners])
    for (let i = 0; i < list.length; i++) list[i]!()
  }
}
