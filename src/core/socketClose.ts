import { classifyClose, classifyUpgradeStatus } from '../wire/closeCodes.js'
import { SyncError } from './errors.js'

/**
 * A closed WebSocket as a SyncError, for the records socket and the document socket alike:
 * a refused upgrade by its HTTP status (carried as `status`), a close by its code and
 * reason (`classifyClose`). 'unauthorized' and 'forbidden' are not retried with the same
 * credentials; everything else is 'network' (retried). `where` names the endpoint.
 */
export function closeError(code: number, reason: string, upgradeStatus: number | undefined, where: string): SyncError {
  if (upgradeStatus !== undefined) {
    const message = `${where} refused the WebSocket upgrade with HTTP ${upgradeStatus}`
    const status = { status: upgradeStatus }
    const kind = classifyUpgradeStatus(upgradeStatus)
    return new SyncError(kind === 'other' ? 'network' : kind, message, status)
  }
  const message = `${where} closed the WebSocket (code ${code}${reason ? `: ${reason}` : ''})`
  const kind = classifyClose(code, reason)
  if (kind === 'unauthorized' || kind === 'forbidden') return new SyncError(kind, message)
  if (kind === 'resnapshot') return new SyncError('network', `${message}; a fresh snapshot is needed`)
  return new SyncError('network', message)
}

/** The members `releaseSocket` touches; the DOM's WebSocket and `ws`'s both have them. */
interface ReleasableSocket {
  onopen: unknown
  onmessage: unknown
  onclose: unknown
  onerror: unknown
  readonly readyState: number
  close(code?: number): void
}

const CONNECTING = 0
const OPEN = 1

/** Stops listening and closes. `ws` throws on an 'error' event nobody listens to, so keep one. */
export function releaseSocket(ws: ReleasableSocket): void {
  ws.onopen = null
  ws.onmessage = null
  ws.onclose = null
  ws.onerror = () => {}
  if (ws.readyState === CONNECTING || ws.readyState === OPEN) {
    try {
      ws.close(1000)
    } catch {
      // Already closing.
    }
  }
}
