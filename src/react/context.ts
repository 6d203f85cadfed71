'use client'
import { createContext, useContext } from 'react'
import { SyncError } from '../core/errors.js'
import type { SyncClient } from '../core/client.js'

export interface SyncContextValue {
  client: SyncClient
  /** The document sync server (`ws://…`) given to `<SyncProvider url>`, for document hooks. */
  url: string | undefined
}

export const SyncContext = createContext<SyncContextValue | null>(null)
SyncContext.displayName = 'SyncContext'

/** Reads the provider's context; `caller` names the hook in the error a developer sees. */
export function useSyncContext(caller: string): SyncContextValue {
  const value = useContext(SyncContext)
  if (value === null) {
    throw new SyncError(
      'bad-input',
      `${caller} must be used inside <SyncProvider>` +
        // How to fix it is for development builds (TanStack's convention; the use-sync-external-store
        // shim already needs bundlers to define process.env.NODE_ENV): production logs keep the meaning.
        // Guarded for ESM run without a bundler (no `process`: no hint); `typeof process<"u"&&false`
        // still folds away, so a production build carries no hint text.
        (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production'
          ? '. Wrap your app (or this part of it) in <SyncProvider recordsBaseUrl="https://…"> — or pass client={createSyncClient(…)} to share one made outside React.'
          : ''),
    )
  }
  return value
}
