import { SyncError } from '../errors.js'
import { LazyModule } from '../lazyModule.js'
import type { Automerge } from './automerge.js'
import type * as DocEngineCode from './docEngine.js'
import type { DocEngine } from './docLink.js'

/** How a connection gets Automerge and the document code, which load side by side. */
export interface EngineLoader {
  readonly engine: LazyModule<DocEngine>
  /** Resolves with the first engine that loads, for stores whose load failed before. */
  readonly arrived: Promise<DocEngine>
}

/**
 * Automerge and the document code (docEngine.ts) are fetched at once: first paint from the
 * cache needs both, so neither waits for the other. A failed fetch of syncline's own chunk
 * is a `'network'` SyncError and is fetched again by the next `load()`; Automerge's loader
 * says for itself what went wrong (`'unavailable'`: it may not be installed).
 */
export function engineLoader(loadAutomerge: () => Promise<Automerge>, loadCode?: () => Promise<typeof DocEngineCode>): EngineLoader {
  const code = loadCode ? documentCode(loadCode) : sharedCode
  let arrived!: (engine: DocEngine) => void
  const engine = new LazyModule(async () => {
    const [A, module] = await Promise.all([loadAutomerge(), code.load()])
    const loaded = { ...module, A }
    arrived(loaded)
    return loaded
  })
  return { engine, arrived: new Promise((resolve) => (arrived = resolve)) }
}

function documentCode(load: () => Promise<typeof DocEngineCode>): LazyModule<typeof DocEngineCode> {
  return new LazyModule(() =>
    load().catch((error: unknown) => {
      throw new SyncError('network', 'Could not load the document code; trying again with the next connection attempt', { cause: error })
    }),
  )
}

/** Shared by every document connection: loaded by the first document or start. */
const sharedCode = documentCode(() => import('./docEngine.js'))
