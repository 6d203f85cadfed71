'use client'
import { useDebugValue } from 'react'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

const onlineSource: ExternalStore<boolean> = {
  subscribe(listener) {
    window.addEventListener('online', listener)
    window.addEventListener('offline', listener)
    return () => {
      window.removeEventListener('online', listener)
      window.removeEventListener('offline', listener)
    }
  },
  // Where the platform cannot tell, assume online rather than alarm anyone.
  getSnapshot: () => typeof navigator === 'undefined' || navigator.onLine !== false,
  getServerSnapshot: () => true,
}

const identity = (value: boolean): boolean => value

/** Whether the browser believes it has a network, following its `online`/`offline` events. */
export function useOnline(): boolean {
  const online = useStore(onlineSource, identity)
  useDebugValue(online, onlineLabel)
  return online
}

const onlineLabel = (online: boolean): string => (online ? 'online' : 'offline')
