import type { SyncStatus } from '../core/machine.js'

/**
 * What React DevTools shows beside a hook: the connection status and where the local
 * user's edits are saved. Passed to `useDebugValue` as its formatter, so the string is
 * built only while DevTools inspects the component.
 */
export function debugLabel({ status, saved }: { status: SyncStatus; saved: { readonly local: boolean; readonly server: boolean } }): string {
  return `${status}, saved ${saved.server ? 'to server' : saved.local ? 'locally' : 'nowhere yet'}`
}
