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
