import type { Doc } from '@automerge/automerge/slim'
import type { SyncClient } from '../core/client.js'
import { automergeDocSupport } from '../core/docs/docSupport.js'
import type { DocSnapshot, DocStatus, DocStore } from '../core/docs/types.js'
import type { SyncError } from '../core/errors.js'
import type { SyncStatus } from '../core/machine.js'
import type { ExternalStore } from './useStore.js'

export interface DocView<T> {
  readonly doc: DocSnapshot<T>
  readonly status: SyncStatus
  readonly connectionError: SyncError | null
}

/** What one `useDoc` renders from; the same object comes back while nothing it reads has changed. */
export interface DocState<S> {
  readonly selection: S | undefined
  readonly status: SyncStatus
  readonly docStatus: DocStatus
  readonly savedLocal: boolean
  readonly savedServer: boolean
  readonly error: SyncError | null
}

/** The `DocInfo` fields a component has read: changes to the others do not re-render it. */
export type InfoField = 'status' | 'docStatus' | 'saved' | 'error'

const LOADING: DocSnapshot<never> = Object.freeze({ doc: undefined, status: 'loading', saved: Object.freeze({ local: true, server: true }), error: null })
const IDLE_VIEW: DocView<never> = Object.freeze({ doc: LOADING, status: 'idle', connectionError: null })
export const idleSource: ExternalStore<DocView<never>> = {
  subscribe: () => () => {},
  getSnapshot: () => IDLE_VIEW,
  getServerSnapshot: () => IDLE_VIEW,
}

/**
 * The document and its connection as one snapshot, so one `useSyncExternalStore` reads
 * both; the same object comes back while neither part changed, as React requires.
 * Subscribing retains the document's shared store. A store left unused long enough is
 * closed by the client (say, while a Suspense boundary hid this component), so subscribing
 * again opens the document anew.
 */
export class DocSource<T> implements ExternalStore<DocView<T>> {
  readonly #client: SyncClient
  readonly #urlOrId: string
  #store: DocStore<T>
  #last: DocView<T> = IDLE_VIEW as unknown as DocView<T>

  constructor(client: SyncClient, urlOrId: string) {
    this.#client = client
    this.#urlOrId = urlOrId
    this.#store = client.getDocStore<T>(urlOrId, automergeDocSupport)
  }

  get store(): DocStore<T> {
    return this.#store
  }

  /** Bound once per source, so `useDoc`'s `change` keeps its identity; it edits the store open now. */
  change = (fn: (doc: T) => void): void => this.#store.change(fn)

  subscribe = (listener: () => void): (() => void) => {
    if (!this.#client.isDocStoreOpen(this.#store as DocStore<unknown>)) this.#store = this.#client.getDocStore<T>(this.#urlOrId, automergeDocSupport)
    const store = this.#store
    // Listen before retaining: retaining starts the connection, and no state may be missed.
    const unsubscribeDoc = store.subscribe(listener)
    const unsubscribeConnection = this.#client.docConnection?.subscribe(listener)
    const release = this.#client.retain(store as DocStore<unknown>)
    return () => {
      unsubscribeDoc()
      unsubscribeConnection?.()
      release()
    }
  }

  getSnapshot = (): DocView<T> => {
    const doc = this.#store.getSnapshot()
    const connection = this.#client.docConnection?.getSnapshot()
    const status = connection?.status ?? 'idle'
    const connectionError = connection?.error ?? null
    const last = this.#last
    if (last.doc !== doc || last.status !== status || last.connectionError !== connectionError) this.#last = { doc, status, connectionError }
    return this.#last
  }

  getServerSnapshot = (): DocView<T> => IDLE_VIEW as unknown as DocView<T>
}

interface DocStateReader<S> extends ExternalStore<DocState<S>> {
  /** The state last handed out, for the reader that replaces this one to start from. */
  readonly last: () => DocState<S> | undefined
}

/**
 * One `useDoc`'s own state, kept in `useState`: the `DocInfo` fields it has read and its reader,
 * rebuilt (from the last state handed out) only when the source, selector or comparator changed,
 * as a `useMemo` would be, with one hook fewer per row.
 */
export class DocHookState {
  readonly readFields = new Set<InfoField>()
  #reader: DocStateReader<unknown> | undefined
  #inputs: readonly [unknown, unknown, unknown] = [undefined, undefined, undefined]

  readerFor<T, S>(source: ExternalStore<DocView<T>>, selector: (doc: Doc<T>) => S, isEqual: (a: S, b: S) => boolean): ExternalStore<DocState<S>> {
    const [lastSource, lastSelector, lastIsEqual] = this.#inputs
    if (this.#reader === undefined || lastSource !== source || lastSelector !== selector || lastIsEqual !== isEqual) {
      this.#reader = docStateReader(source, selector, isEqual, this.readFields, this.#reader?.last() as DocState<S> | undefined) as DocStateReader<unknown>
      this.#inputs = [source, selector, isEqual]
    }
    return this.#reader as DocStateReader<S>
  }
}

/**
 * One `useDoc`'s view of its source, as a store React reads directly: `selector` runs only when
 * the document itself changed, and the state handed out is kept (same object, so React skips
 * the render) while the selection is `isEqual` and no field in `readFields` changed. It
 * compares before it builds a new state, so on a change to another part of the document each
 * mounted reader allocates nothing. `seed`, the state of the reader this one replaces (its
 * selector or comparator changed), keeps an equal selection's object, as the committed one.
 */
function docStateReader<T, S>(
  source: ExternalStore<DocView<T>>,
  selector: (doc: Doc<T>) => S,
  isEqual: (a: S, b: S) => boolean,
  readFields: ReadonlySet<InfoField>,
  seed: DocState<S> | undefined,
): DocStateReader<S> {
  let state = seed
  let seenView: DocView<T> | null = null
  let selectedFrom: { doc: Doc<T>; selected: S } | null = null
  const read = (view: DocView<T>): DocState<S> => {
    if (view === seenView && state !== undefined) return state
    seenView = view
    const { doc: snapshot, status, connectionError } = view
    const doc = snapshot.doc
    let selection: S | undefined
    if (doc !== undefined) {
      if (selectedFrom === null || selectedFrom.doc !== doc) selectedFrom = { doc, selected: selector(doc) }
      selection = selectedFrom.selected
    }
    const docStatus = snapshot.status
    const { local: savedLocal, server: savedServer } = snapshot.saved
    const error = snapshot.error ?? connectionError
    if (
      state === undefined ||
      !(state.selection === undefined || selection === undefined ? state.selection === selection : isEqual(state.selection, selection)) ||
      (state.docStatus !== docStatus && readFields.has('docStatus')) ||
      (state.status !== status && readFields.has('status')) ||
      ((state.savedLocal !== savedLocal || state.savedServer !== savedServer) && readFields.has('saved')) ||
      (state.error !== error && readFields.has('error'))
    ) {
      state = { selection, status, docStatus, savedLocal, savedServer, error }
    }
    return state
  }
  return {
    subscribe: source.subscribe,
    getSnapshot: () => read(source.getSnapshot()),
    getServerSnapshot: () => read(source.getServerSnapshot()),
    last: () => state,
  }
}
