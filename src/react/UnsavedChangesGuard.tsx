'use client'
import type { ReactElement } from 'react'
import type { UnsavedChangesGuardOptions } from './useUnsavedChangesGuard.js'
import { useUnsavedChangesGuard } from './useUnsavedChangesGuard.js'

export type UnsavedChangesGuardProps = UnsavedChangesGuardOptions

/**
 * Drop it anywhere under `<SyncProvider>`: while the local user's writes are not saved at
 * `level`, leaving or reloading the page asks for confirmation. Renders nothing.
 */
export function UnsavedChangesGuard(props: UnsavedChangesGuardProps): ReactElement | null {
  useUnsavedChangesGuard(props)
  return null
}
