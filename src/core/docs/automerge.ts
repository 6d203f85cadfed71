import type * as AutomergeModule from '@automerge/automerge/slim'
import { SyncError } from '../errors.js'

/**
 * The one door to Automerge. Everything else under `docs/` imports Automerge's types only
 * and receives the module from `loadAutomerge()`, so an app that uses records alone never
 * bundles Automerge or its wasm, and an app that uses documents loads them on first use.
 */
export type Automerge = typeof AutomergeModule
export type { Doc, Heads, SyncState } from '@automerge/automerge/slim'

let loading: Promise<Automerge> | null = null

/**
 * Loads `@automerge/automerge/slim` and initialises its wasm from the base64 build, which
 * works in Vite (dev and build), webpack and Node without a wasm plugin. If the app has
 * already initialised Automerge (say, it imported the full entry point), that instance is
 * reused: two wasm instances in one page cannot exchange documents or sync states.
 */
export function loadAutomerge(): Promise<Automerge> {
  loading ??= (async () => {
    try {
      const automerge = await import('@automerge/automerge/slim')
      if (!automerge.isWasmInitialized()) {
        const { automergeWasmBase64 } = await import('@automerge/automerge/automerge.wasm.base64')
        // Someone else may have finished initialising while the base64 module loaded.
        if (!automerge.isWasmInitialized()) await automerge.initializeBase64Wasm(automergeWasmBase64)
      }
      return automerge
    } catch (error) {
      loading = null
      throw new SyncError(
        'unavailable',
        'Could not load @automerge/automerge, which documents need: install it next to syncline (npm install @automerge/automerge)',
        { cause: error },
      )
    }
  })()
  return loading
}
