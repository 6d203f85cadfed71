import type { SyncStatus } from '../machine.js'

/** Writes go out while the watch is connected (catching up counts): the server is reachable then. */
export function isConnected(status: SyncStatus): boolean {
  return status === 'snapshot' || status === 'live'
}

/** Same items in the same order, by identity: a snapshot keeps its array when nothing changed. */
export function sameElements<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
