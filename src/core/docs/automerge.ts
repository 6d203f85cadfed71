import type * as AutomergeModule from '@automerge/automerge/slim'
import { SyncError } from '../errors.js'

/**
 * The one door to Automerge. Everything else under `docs/` imports Automerge's types only
 * and receives the module from `loadAutomerge()`, so an app that uses records alone never
 * bundles Automerge or its wasm, and an app that uses documents loads them on first use.
 */
export type Automerge = typeof AutomergeModule
export type { Doc, Heads, SyncState } from '@automerge/automerge/slim'

/** Where Automerge's JS and its wasm (as base64) come from; tests hand in failing ones. */
export interface AutomergeImports {
  automerge: () => Promise<Automerge>
  wasmBase64: () => Promise<{ automergeWasmBase64: string }>
}

const bundledImports: AutomergeImports = {
  automerge: () => import('@automerge/automerge/slim'),
  wasmBase64: () => import('@automerge/automerge/automerge.wasm.base64'),
}

/**
 * A loader that loads once and, after a failure, tries again on the next call. It initialises
 * Automerge's wasm from the base64 build, which works in Vite (dev and build), webpack and Node
 * without a wasm plugin. If the app has already initialised Automerge (say, it imported the full
 * entry point), that instance is reused: two wasm instances in one page cannot exchange
 * documents or sync states.
 */
export function automergeLoader(imports: AutomergeImports): () => Promise<Automerge> {
  let loading: Promise<Automerge> | null = null
  return () => {
    loading ??= load(imports).catch((error: unknown) => {
      loading = null
      throw error
    })
    return loading
  }
}

/** Automerge from the app's bundle, shared by every connection in the page. */
export const loadAutomerge: () => Promise<Automerge> = automergeLoader(bundledImports)

async function load(imports: AutomergeImports): Promise<Automerge> {
  try {
    const automerge = await imports.automerge()
    if (!automerge.isWasmInitialized()) {
      const { automergeWasmBase64 } = await imports.wasmBase64()
      // Someone else may have finished initialising while the base64 module loaded.
      if (!automerge.isWasmInitialized()) await automerge.initializeBase64Wasm(automergeWasmBase64)
    }
    return automerge
  } catch (error) {
    // A browser's import() rejects with a TypeError when the chunk cannot be fetched (offline
    // since the page loaded, a deploy that removed it; webpack's is a ChunkLoadError): the
    // connection retries a `'network'` error. A bundled app that lacks the package fails to
    // build, so `'unavailable'` (which never heals) is left for Node finding it missing, or wasm
    // refused by the page (a Content-Security-Policy without 'wasm-unsafe-eval').
    const fetchFailed = error instanceof TypeError || (error as Error | null)?.name === 'ChunkLoadError'
    throw fetchFailed
      ? new SyncError('network', 'Could not fetch Automerge; trying again with the next connection attempt', { cause: error })
      : new SyncError('unavailable', 'Could not load @automerge/automerge, which documents need: install it next to syncline (npm install @automerge/automerge)', { cause: error })
  }
}
