/**
 * Every failure syncline reports is a `SyncError` with a machine-readable `code`, so apps can
 * branch on `error.code` instead of parsing messages.
 */
export type SyncErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'protocol'
  | 'network'
  | 'bad-input'
  /** An endpoint answered 404: a watch URL, or the `recordsBaseUrl` it resolves against, is wrong. */
  | 'not-found'
  /** A store was closed before what was waited for happened. */
  | 'closed'
  /** A bounded wait (`whenSaved(where, { timeoutMs })`) ran out of time. */
  | 'timeout'
  /** A wait's `AbortSignal` aborted. */
  | 'aborted'
  /** `clearLocalData()` refused: writes or document edits the server has not confirmed would be lost. */
  | 'unsaved'
  | (string & {})

export class SyncError extends Error {
  override name = 'SyncError'
  readonly code: SyncErrorCode
  /** HTTP status when the error came from an HTTP response. */
  readonly status: number | undefined

  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options?.status
  }
}

export function isSyncError(value: unknown): value is SyncError {
  return value instanceof SyncError
}

/** The message of anything thrown, for error texts. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Wraps anything thrown into a SyncError, keeping the original as `cause`. */
export function toSyncError(error: unknown, fallbackCode: SyncErrorCode = 'network'): SyncError {
  if (error instanceof SyncError) return error
  return new SyncError(fallbackCode, errorMessage(error), { cause: error })
}

/** Authentication and authorization failures must not be retried with the same credentials. */
export function isAuthError(error: SyncError | null | undefined): boolean {
  return error?.code === 'unauthorized' || error?.code === 'forbidden'
}
