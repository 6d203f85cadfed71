'use client'
import type { Doc } from '@automerge/automerge/slim'
import { useCallback, useDebugValue, useMemo, useState } from 'react'
import type { SyncClient } from '../core/client.js'
import { automergeDocSupport } from '../core/docs/docSupport.js'
import { parseDocumentUrl } from '../core/docs/documentId.js'
import type { DocSnapshot, DocStatus, DocStore } from '../core/docs/types.js'
import { SyncError } from '../core/errors.js'
import type { SyncStatus } from '../core/machine.js'
import { useSyncContext } from './context.js'
import { debugLabel } from './debugLabel.js'
import { isServerRender } from './recordStoreSources.js'
import { suspendUntilSettled } from './suspendUntilSettled.js'
import type { ThrowOnError } from './throwOnError.js'
import { mayThrow, shouldThrow } from './throwOnError.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

export interface UseDocOptions<T, S> {
  /**
   * Picks what this component needs from the document; it re-renders only when the picked
   * value changes (by `isEqual`). Automerge keeps unchanged parts of a document as the same
   * objects across changes, so picking an object (`(doc) => doc.todos[3]`) re-renders only
   * when that object changed. Not called while there is no document.
   * @default the whole document
   */
  selector?: ((doc: Doc<T>) => S) | undefined
  /** Decides whether a new selection is the same as the last one. @default Object.is */
  isEqual?: ((a: S, b: S) => boolean) | undefined
  /** Suspend until the document is ready, unavailable, or failed. @default false */
  suspense?: boolean | undefined
  /**
   * Throw errors to the nearest error boundary instead of returning them in `info.error`:
   * `true` for every error, a function to decide per error.
   * @default with `suspense`, the errors no retry fixes ('unauthorized', 'forbidden',
   * 'unavailable', 'bad-input'); without it, none
   */
  throwOnError?: ThrowOnError | undefined
}

export interface DocInfo {
  /** The document connection's state. */
  readonly status: SyncStatus
  /** `loading` until the document is in memory, `unavailable` if neither the cache nor the server has it. */
  readonly docStatus: DocStatus
  /** Whether every local edit is in the local cache, and acknowledged by the server. */
  readonly saved: { readonly local: boolean; readonly server: boolean }
  /** The document's last problem, else the connection's. */
  readonly error: SyncError | null
  /** `automerge:<documentId>`, or `undefined` when no document was asked for. */
  readonly url: string | undefined
}

/** Changes the document locally and at once; the change syncs at the end of the task. */
export type ChangeDoc<T> = (fn: (doc: T) => void) => void

interface DocView<T> {
  readonly doc: DocSnapshot<T>
  readonly status: SyncStatus
  readonly connectionError: SyncError | null
}

interface DocState<S> {
  selection: S | undefined
  status: SyncStatus
  docStatus: DocStatus
  savedLocal: boolean
  savedServer: boolean
  error: SyncError | null
}

const LOADING: DocSnapshot<never> = Object.freeze({ doc: undefined, status: 'loading', saved: Object.freeze({ local: true, server: true }), error: null })
const IDLE_VIEW: DocView<never> = Object.freeze({ doc: LOADING, status: 'idle', connectionError: null })
const idleSource: ExternalStore<DocView<never>> = {
  subscribe: () => () => {},
  getSnapshot: () => IDLE_VIEW,
  getServerSnapshot: () => IDLE_VIEW,
}
const wholeDoc = <T>(doc: Doc<T>): Doc<T> => doc
const noDocument: ChangeDoc<never> = () => {
  throw new SyncError('bad-input', 'useDoc was given no document, so there is nothing to change')
}

/**
 * A live Automerge document from the provider's sync server (`<SyncProvider url>`), painted
 * from the cache first. Every `useDoc` of one document shares one store; it syncs from the
 * first mounted reader until a short delay after the last, and longer if edits made in it
 * have not reached the server yet.
 *
 * ```tsx
 * const [doc, change, info] = useDoc<Todos>(url)
 * change((d) => { d.items.push({ text: 'milk', done: false }) })
 * const [title] = useDoc<Todos, string>(url, { selector: (d) => d.title })  // re-renders only when the title changes
 * ```
 */
export function useDoc<T>(urlOrId: string | undefined, options?: UseDocOptions<T, Doc<T>> & { selector?: undefined }): [Doc<T> | undefined, ChangeDoc<T>, DocInfo]
export function useDoc<T, S>(urlOrId: string | undefined, options: UseDocOptions<T, S> & { selector: (doc: Doc<T>) => S }): [S | undefined, ChangeDoc<T>, DocInfo]
export function useDoc<T, S>(urlOrId: string | undefined, options: UseDocOptions<T, S> = {}): [S | undefined, ChangeDoc<T>, DocInfo] {
  const { client } = useSyncContext('useDoc')
  const { suspense = false, throwOnError } = options
  const selector = options.selector ?? (wholeDoc as unknown as (doc: Doc<T>) => S)
  const isEqual = options.isEqual ?? Object.is

  const source = useMemo(() => {
    if (urlOrId === undefined) return null
    // A malformed id is a bug in the calling code, not a state to render: it throws
    // SyncError('bad-input') naming the id, on the server too, so both renders agree.
    if (!isServerRender()) return new DocSource<T>(client, urlOrId)
    parseDocumentUrl(urlOrId)
    return null
  }, [client, urlOrId])
  // The `info` fields this component has read. A status or saved-state change re-renders
  // only components that read it: a row that selects its item ignores the saved flag
  // flickering as remote changes reach the cache. (TanStack Query tracks its results alike.)
  const [readFields] = useState(() => new Set<InfoField>())
  // An error that may be thrown must re-render this component even if it never reads it.
  if (mayThrow(throwOnError, suspense)) readFields.add('error')
  const selectState = useMemo(() => docStateSelector(selector), [selector])
  const isStateEqual = useCallback(
    (a: DocState<S>, b: DocState<S>) =>
      (a.selection === undefined || b.selection === undefined ? a.selection === b.selection : isEqual(a.selection, b.selection)) &&
      (a.docStatus === b.docStatus || !readFields.has('docStatus')) &&
      (a.status === b.status || !readFields.has('status')) &&
      ((a.savedLocal === b.savedLocal && a.savedServer === b.savedServer) || !readFields.has('saved')) &&
      (a.error === b.error || !readFields.has('error')),
    [isEqual, readFields],
  )
  const state = useStore(source ?? (idleSource as unknown as ExternalStore<DocView<T>>), selectState, isStateEqual)

  const change = useMemo<ChangeDoc<T>>(() => (source === null ? noDocument : (fn) => source.store.change(fn)), [source])
  const url = source?.store.url
  const info = useMemo(() => trackedInfo(state, url, readFields), [state, url, readFields])
  useDebugValue(state, docDebugLabel)

  // After every hook has run, so throwing or suspending never changes the order of hooks.
  if (shouldThrow(state.error, throwOnError, suspense)) throw state.error
  if (suspense && source !== null && !isSettled(client, source.store)) {
    const { store } = source
    throw suspendUntilSettled(client, store as DocStore<unknown>, () => isSettled(client, store), (listener) => client.docConnection?.subscribe(listener) ?? (() => {}))
  }

  return [state.selection, change, info]
}

function docDebugLabel(state: DocState<unknown>): string {
  return `${state.docStatus}, ${debugLabel({ status: state.status, saved: { local: state.savedLocal, server: state.savedServer } })}`
}

type InfoField = 'status' | 'docStatus' | 'saved' | 'error'

/** `DocInfo` whose getters note which fields the component reads. */
function trackedInfo(state: DocState<unknown>, url: string | undefined, readFields: Set<InfoField>): DocInfo {
  const saved = Object.freeze({ local: state.savedLocal, server: state.savedServer })
  return {
    get status() {
      readFields.add('status')
      return state.status
    },
    get docStatus() {
      readFields.add('docStatus')
      return state.docStatus
    },
    get saved() {
      readFields.add('saved')
      return saved
    },
    get error() {
      readFields.add('error')
      return state.error
    },
    url,
  }
}

/** Ready, unavailable, failed, or the connection has given up: there is something to show. */
function isSettled(client: SyncClient, store: DocStore<unknown>): boolean {
  const { status, error } = store.getSnapshot()
  return status !== 'loading' || error !== null || client.docConnection?.getSnapshot().status === 'closed'
}

/**
 * The document and its connection as one snapshot, so one `useSyncExternalStore` reads
 * both; the same object comes back while neither part changed, as React requires.
 * Subscribing retains the document's shared store. A store left unused long enough is
 * closed by the client (say, while a Suspense boundary hid this component), so subscribing
 * again opens the document anew.
 */
class DocSource<T> implements ExternalStore<DocView<T>> {
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

/** Runs `selector` only when the document itself changed, not for status-only updates. */
function docStateSelector<T, S>(selector: (doc: Doc<T>) => S): (view: DocView<T>) => DocState<S> {
  let last: { doc: Doc<T>; selected: S } | null = null
  return ({ doc: snapshot, status, connectionError }) => {
    const doc = snapshot.doc
    let selection: S | undefined
    if (doc === undefined) selection = undefined
    else {
      if (last === null || last.doc !== doc) last = { doc, selected: selector(doc) }
      selection = last.selected
    }
    return {
      selection,
      status,
      docStatus: snapshot.status,
      savedLocal: snapshot.saved.local,
      savedServer: snapshot.saved.server,
      error: snapshot.error ?? connectionError,
    }
  }
}
