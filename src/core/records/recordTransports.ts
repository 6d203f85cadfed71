import { LazyModule } from '../lazyModule.js'
import type { RecordTransport } from './types.js'

// A failed chunk load (say, offline right after a deploy) is tried again by the next attempt.
const sseTransport = new LazyModule(() => import('./sseTransport.js').then((loaded) => loaded.sseTransport))
const wsTransport = new LazyModule(() => import('./wsTransport.js').then((loaded) => loaded.wsTransport))

/** The code of one record transport, loaded on first use. */
export function transportModule(transport: 'sse' | 'ws' | undefined): LazyModule<RecordTransport> {
  return transport === 'ws' ? wsTransport : sseTransport
}
