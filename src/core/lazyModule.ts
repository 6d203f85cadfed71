/**
 * Something loaded on first use (a dynamic `import()`, say), once. A failed load is tried
 * again by the next `load()`: it may succeed later (a network hiccup fetching a chunk).
 */
export class LazyModule<T> {
  readonly #load: () => Promise<T>
  #loading: Promise<T> | null = null
  #loaded: T | null = null

  constructor(load: () => Promise<T>) {
    this.#load = load
  }

  /** The module, if it has finished loading. */
  get loaded(): T | null {
    return this.#loaded
  }

  load(): Promise<T> {
    if (this.#loading === null) {
      const loading = this.#load()
      this.#loading = loading
      loading.then(
        (module) => {
          this.#loaded = module
        },
        () => {
          if (this.#loading === loading) this.#loading = null
        },
      )
    }
    return this.#loading
  }
}
