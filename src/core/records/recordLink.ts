import { ConnectionDriver } from '../connectionDriver.js'
import type { Environment } from '../environment.js'
import type { TapPoint } from '../eventTap.js'
import type { MachineState } from '../machine.js'
import type { RecordStreamHandlers } from './recordConnection.js'
import { connectRecords, DEFAULT_HEARTBEAT_MS } from './recordConnection.js'
import type { LazyModule } from '../lazyModule.js'
import type { RecordStoreOptions, RecordTransport } from './types.js'
import type { ConnectAttempt } from '../connectionDriver.js'

export { backoffDelay } from '../machine.js'
export { applyWatchEvents } from './watchEvents.js'

/**
 * The live half of a record store, loaded with its first `start()` (see deferredDriver.ts):
 * the connection driver and its state machine, the ticket and transport glue. First paint
 * from the cache needs none of it.
 */
export function recordDriver<V>(
  url: string,
  collection: string | undefined,
  options: RecordStoreOptions<V>,
  /** Passed in, not imported: the store loads it too, at its start (recordTransports.ts). */
  transport: LazyModule<RecordTransport>,
  environment: Environment,
  handlers: (attempt: ConnectAttempt) => RecordStreamHandlers<V>,
  onChange: (state: MachineState) => void,
  tap: TapPoint | undefined,
): ConnectionDriver {
  return new ConnectionDriver({
    connect: (attempt) => connectRecords(attempt, url, collection, options, transport, environment, handlers(attempt), tap),
    reconnect: options.reconnect,
    // The WebSocket transport watches silence itself: only some servers send keepalives there.
    heartbeatMs: options.transport === 'ws' ? undefined : (options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
    environment,
    onChange,
    tap,
  })
}
