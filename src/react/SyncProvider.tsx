'use client'
import type { ReactElement, ReactNode } from 'react'
import { useEffect, useMemo, useState } from 'react'
import { lazyCache } from '../core/cache/lazyCache.js'
import type { DocCache, RecordCache } from '../core/cache/types.js'
import { SyncClient } from '../core/client.js'
import { SyncError } from '../core/errors.js'
import type { SyncContextValue } from './context.js'
import { SyncContext } from './context.js'

export type TokenSource = string | (() => Promise<string>)

export interface SyncProviderProps {
  /** The document sync server (`ws://` or `wss://`). Optional when only records are used. */
  url?: string | undefined
  /** Base for relative `useRecords` URLs. @default location.origin in browsers */
  recordsBaseUrl?: string | undefined
  /**
   * A bearer token, or a function returning a fresh one; asked again on every (re)connect.
   * The latest prop is always used, so an inline `() => getIdToken()` is fine.
   */
  token?: TokenSource | undefined
  /**
   * Where records and documents are kept between sessions (both built-in caches keep both).
   * Read when the provider makes its client, like `useState`'s initial value, so an inline
   * `cache={createMemoryCache()}` is fine; to switch caches, remount the provider (`key`).
   * @default createIndexedDBCache() in browsers, createMemoryCache() elsewhere
   */
  cache?: RecordCache | (RecordCache & DocCache) | undefined
  /**
   * A client made outside React (shared by several roots, or used by non-React code).
   * When given, `url`, `recordsBaseUrl`, `token` and `cache` are ignored: configure the client instead.
   */
  client?: SyncClient | undefined
  children?: ReactNode
}

/**
 * Makes a `SyncClient` available to the hooks below it.
 *
 * The provider never closes the client it made. Each store is retained by the hooks that
 * read it and stops itself `releaseDelayMs` after its last reader unsubscribes — which
 * happens when this provider unmounts too. Closing from an effect cleanup instead would
 * break StrictMode and `<Activity>`: React runs the cleanup and then the effect again on
 * the same client, and a closed client forgets stores that mounted hooks still hold.
 *
 * A client it replaces (the `url`, `recordsBaseUrl` or token presence changed) is closed
 * once the replacement is committed, and with it the default cache the provider made for it.
 */
export function SyncProvider({ url, recordsBaseUrl, token, cache, client, children }: SyncProviderProps): ReactElement | null {
  // useState, not an effect: the client must exist during the first render (and on the
  // server), and be the same object for every re-render of this provider.
  const settings: ClientSettings = { url, recordsBaseUrl, cache, hasToken: token !== undefined }
  const [owned, setOwned] = useState(() => (client === undefined ? ownClient(settings, token) : null))
  let active = client ?? owned?.client
  if (client === undefined && (owned === null || !owned.matches(settings))) {
    // The connection settings changed. The old client's stores stop as their hooks move on.
    // Creating a client opens nothing, so one made by a render React throws away costs nothing.
    const next = ownClient(settings, token)
    setOwned(next)
    active = next.client
  }
  // The client asks the relay for a token on each connect, so a new token (or a new inline
  // function) applies to the next connect without rebuilding the client and its streams.
  useEffect(() => owned?.tokenRelay.set(token))
  // After commit no hook below reads the replaced client any more (their effects, which
  // run before this one, moved to the new one), so it can be closed. Clients made by
  // renders React threw away were never committed and opened nothing.
  const [committed] = useState(() => new CommittedClient())
  useEffect(() => committed.commit(owned), [committed, owned])

  const documentsUrl = active!.options.url
  const value = useMemo<SyncContextValue>(() => ({ client: active!, url: documentsUrl }), [active, documentsUrl])
  return <SyncContext.Provider value={value}>{children}</SyncContext.Provider>
}

class TokenRelay {
  #token: TokenSource | undefined

  constructor(token: TokenSource | undefined) {
    this.#token = token
  }

  set(token: TokenSource | undefined): void {
    this.#token = token
  }

  read = async (): Promise<string> => {
    const token = this.#token
    // 'unauthorized' parks the connection instead of retrying without credentials forever.
    if (token === undefined) throw new SyncError('unauthorized', '<SyncProvider token> was removed; this watch needs a token to connect')
    return typeof token === 'function' ? token() : token
  }
}

/** The client this provider last committed; committing another one retires it. */
class CommittedClient {
  #current: OwnedClient | null = null

  commit(owned: OwnedClient | null): void {
    const previous = this.#current
    this.#current = owned
    if (previous === null || previous === owned) return
    // close() flushes every store to the cache first, so the cache closes last.
    void previous.client.close().then(() => previous.defaultCache?.close())
  }
}

/** The props that shape a client; a change to any of them (but `cache`, read once) makes a new client. */
interface ClientSettings {
  url: string | undefined
  recordsBaseUrl: string | undefined
  cache: RecordCache | (RecordCache & DocCache) | undefined
  hasToken: boolean
}

interface OwnedClient {
  client: SyncClient
  tokenRelay: TokenRelay
  /** The cache the provider made because none was given; it closes it with the client. */
  defaultCache: (RecordCache & DocCache) | null
  matches(settings: ClientSettings): boolean
}

function ownClient(settings: ClientSettings, token: TokenSource | undefined): OwnedClient {
  const tokenRelay = new TokenRelay(token)
  const made = settings.cache === undefined ? defaultCache() : null
  // Without record support: the first record hook passes it, so a documents-only app bundles no record code.
  const client = new SyncClient({
    url: settings.url,
    recordsBaseUrl: settings.recordsBaseUrl,
    cache: settings.cache ?? made ?? undefined,
    ...(settings.hasToken && { token: tokenRelay.read }),
  })
  return {
    client,
    tokenRelay,
    defaultCache: made,
    // A new cache object alone does not make a new client: see `SyncProviderProps.cache`.
    matches: (next) => next.url === settings.url && next.recordsBaseUrl === settings.recordsBaseUrl && next.hasToken === settings.hasToken,
  }
}

/** Loaded on first use (the load starts with the provider's first render): first paint does not need the cache's code. */
function defaultCache(): RecordCache & DocCache {
  if (typeof indexedDB === 'undefined') return lazyCache(() => import('../core/cache/memoryCache.js').then((module) => module.createMemoryCache()))
  // idb is fetched alongside the cache's own chunk (which would only ask for it once it has run).
  import('idb').catch(() => {})
  return lazyCache(() => import('../core/cache/indexedDBCache.js').then((module) => module.createIndexedDBCache()))
}
