'use client'
import { useDebugValue, useEffect } from 'react'
import { useSyncStatus } from './useSyncStatus.js'

export interface UnsavedChangesGuardOptions {
  /**
   * What counts as saved: `'server'` waits for the server to confirm every write,
   * `'local'` is content once writes are in the local cache.
   * @default 'server'
   */
  level?: 'local' | 'server' | undefined
  /** Turn the guard off without unmounting it. @default true */
  enabled?: boolean | undefined
}

/**
 * Asks the browser to confirm leaving the page while work is unsaved at `level`. The
 * `beforeunload` listener exists only while something is unsaved: browsers keep pages with
 * such a listener out of the back/forward cache. Returns whether work is unsaved.
 */
export function useUnsavedChangesGuard({ level = 'server', enabled = true }: UnsavedChangesGuardOptions = {}): boolean {
  const unsaved = useSyncStatus((status) => (level === 'local' ? !status.savedLocal : !status.savedServer))
  const guard = enabled && unsaved

  useEffect(() => {
    if (!guard) return
    const onBeforeUnload = (event: BeforeUnloadEvent): string => {
      event.preventDefault()
      // Older browsers only ask when returnValue is set (its text is no longer shown anywhere).
      event.returnValue = 'You have unsaved changes.'
      return event.returnValue
    }
    window.addEventListener('beforeunload', onBeforeUnload)
    return () => window.removeEventListener('beforeunload', onBeforeUnload)
  }, [guard])

  useDebugValue(unsaved, unsavedLabel)
  return unsaved
}

const unsavedLabel = (unsaved: boolean): string => (unsaved ? 'unsaved work' : 'all saved')
