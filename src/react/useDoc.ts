'use client'
import type { Doc } from '@automerge/automerge/slim'
import { useDebugValue, useMemo, useState } from 'react'
import type { SyncClient } from '../core/client.js'
import { parseDocumentUrl } from '../core/docs/documentId.js'
import type { DocStatus, DocStore } from '../core/docs/types.js'
import { SyncError } from '../core/errors.js'
import type { SyncStatus } from '../core/machine.js'
import { useSyncContext } from './context.js'
import { debugLabel } from './debugLabel.js'
import type { DocState, DocView, InfoField } from './docSource.js'
import { DocHookState, DocSource, idleSource } from './docSource.js'
import { isServerRender } from './recordStoreSources.js'
import { suspendUntilSettled } from './suspendUntilSettled.js'
import type { ThrowOnError } from './throwOnError.js'
import { mayThrow, shouldThrow } from './throwOnError.js'
import type { ExternalStore } from './useStore.js'
import { useStoreValue } from './useStoreValue.js'

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
  const [hook] = useState(newHookState)
  const { readFields } = hook
  // An error that may be thrown must re-render this component even if it never reads it.
  if (mayThrow(throwOnError, suspense)) readFields.add('error')
  // Read by useSyncExternalStore itself, with no selector layer: with a long list of rows, each
  // row's hooks are most of a one-row commit (bench case 3).
  const reader = hook.readerFor(source ?? (idleSource as unknown as ExternalStore<DocView<T>>), selector, isEqual)
  const state = useStoreValue(reader)

  const change: ChangeDoc<T> = source === null ? noDocument : source.change
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

const newHookState = (): DocHookState => new DocHookState()

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
