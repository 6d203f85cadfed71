import { SyncError } from './errors.js'

/**
 * A window that is not a positive number would drop every connection at once, or never arm.
 * Checked when a store or connection is made, so apart from silenceWatch.ts: the code that
 * watches silence loads with the connection.
 */
export function checkHeartbeatMs(value: number | undefined): void {
  if (value === undefined || (typeof value === 'number' && value > 0 && !Number.isNaN(value))) return
  throw new SyncError('bad-input', `heartbeatMs must be a positive number of milliseconds, not ${String(value)}`)
}
