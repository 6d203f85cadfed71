'use client'
import type { ReactNode } from 'react'
import { useEffect, useMemo, useState } from 'react'
import { createIndexedDBCache } from '../core/cache/indexedDBCache.js'
import { createMemoryCache } from '../core/cache/memoryCache.js'
import type { DocCache, RecordCache } from '../core/cache/types.js'
import type { SyncClient } from '../core/client.js'
import { createSyncClient } from '../core/client.js'
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
 */
export function SyncProvider({ url, recordsBaseUrl, token, cache, client, children }: SyncProviderProps): ReactNode {
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

/** The props that shape a client; a change to any of them makes a new client. */
interface ClientSettings {
  url: string | undefined
  recordsBaseUrl: string | undefined
  cache: RecordCache | (RecordCache & DocCache) | undefined
  hasToken: boolean
}

interface OwnedClient {
  client: SyncClient
  tokenRelay: TokenRelay
  matches(settings: ClientSettings): boolean
}

function ownClient(settings: ClientSettings, token: TokenSource | undefined): OwnedClient {
  const tokenRelay = new TokenRelay(token)
  const client = createSyncClient({
    url: settings.url,
    recordsBaseUrl: settings.recordsBaseUrl,
    cache: settings.cache ?? defaultCache(),
    ...(settings.hasToken && { token: tokenRelay.read }),
  })
  return {
    client,
    tokenRelay,
    matches: (next) =>
      next.url === settings.url && next.recordsBaseUrl === settings.recordsBaseUrl && next.cache === settings.cache && next.hasToken === settings.hasToken,
  }
}

function defaultCache(): RecordCache & DocCache {
  return typeof indexedDB === 'undefined' ? createMemoryCache() : createIndexedDBCache()
}
