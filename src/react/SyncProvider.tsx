'use client'
import type { ReactNode } from 'react'
import { useEffect, useMemo, useState } from 'react'
import { createIndexedDBCache } from '../core/cache/indexedDBCache.js'
import { createMemoryCache } from '../core/cache/memoryCache.js'
import type { RecordCache } from '../core/cache/types.js'
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
  /** Where records are kept between sessions. @default createIndexedDBCache() in browsers, createMemoryCache() elsewhere */
  cache?: RecordCache | undefined
  /**
   * A client made outside React (shared by several roots, or used by non-React code).
   * When given, `recordsBaseUrl`, `token` and `cache` are ignored: configure the client instead.
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
  const [owned, setOwned] = useState(() => (client === undefined ? ownClient(recordsBaseUrl, cache, token) : null))
  let active = client ?? owned?.client
  if (client === undefined && (owned === null || !owned.matches(recordsBaseUrl, cache, token !== undefined))) {
    // The connection settings changed. The old client's stores stop as their hooks move on.
    // Creating a client opens nothing, so one made by a render React throws away costs nothing.
    const next = ownClient(recordsBaseUrl, cache, token)
    setOwned(next)
    active = next.client
  }
  // The client asks the relay for a token on each connect, so a new token (or a new inline
  // function) applies to the next connect without rebuilding the client and its streams.
  useEffect(() => owned?.tokenRelay.set(token))

  const value = useMemo<SyncContextValue>(() => ({ client: active!, url }), [active, url])
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

interface OwnedClient {
  client: SyncClient
  tokenRelay: TokenRelay
  matches(recordsBaseUrl: string | undefined, cache: RecordCache | undefined, hasToken: boolean): boolean
}

function ownClient(recordsBaseUrl: string | undefined, cache: RecordCache | undefined, token: TokenSource | undefined): OwnedClient {
  const hasToken = token !== undefined
  const tokenRelay = new TokenRelay(token)
  const client = createSyncClient({
    recordsBaseUrl,
    cache: cache ?? defaultCache(),
    ...(hasToken && { token: tokenRelay.read }),
  })
  return {
    client,
    tokenRelay,
    matches: (nextBaseUrl, nextCache, nextHasToken) => nextBaseUrl === recordsBaseUrl && nextCache === cache && nextHasToken === hasToken,
  }
}

function defaultCache(): RecordCache {
  return typeof indexedDB === 'undefined' ? createMemoryCache() : createIndexedDBCache()
}
