import type { SyncError, SyncErrorCode } from '../core/errors.js'

/**
 * Which errors a hook throws to the nearest error boundary instead of returning them, as
 * TanStack Query's `throwOnError`: `true` throws every error the hook would return, `false`
 * none, and a function decides per error.
 */
export type ThrowOnError = boolean | ((error: SyncError) => boolean)

/**
 * What no retry or wait fixes: the app must show something else (sign in, ask for access,
 * fix a URL). A suspended component has no loading state to fall back on, so with
 * `suspense: true` and no `throwOnError` these go to the error boundary.
 */
const FATAL_CODES: ReadonlySet<SyncErrorCode> = new Set(['unauthorized', 'forbidden', 'unavailable', 'bad-input'])

/** Whether `error` is to be thrown, given the hook's `throwOnError` and `suspense` options. */
export function shouldThrow(error: SyncError | null, throwOnError: ThrowOnError | undefined, suspense: boolean): error is SyncError {
  if (error === null) return false
  if (throwOnError === undefined) return suspense && FATAL_CODES.has(error.code)
  return typeof throwOnError === 'function' ? throwOnError(error) : throwOnError
}

/** Whether any error might be thrown: only then must a hook re-render for error changes alone. */
export function mayThrow(throwOnError: ThrowOnError | undefined, suspense: boolean): boolean {
  return throwOnError === undefined ? suspense : throwOnError !== false
}
