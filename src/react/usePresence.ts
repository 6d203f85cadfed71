'use client'
import { useDebugValue, useEffect, useMemo } from 'react'
import type { SyncClient } from '../core/client.js'
import { automergeDocSupport } from '../core/docs/docSupport.js'
import type { PeerPresence, PresenceOptions } from '../core/docs/presence.js'
import { DocPresence } from '../core/docs/presence.js'
import { useSyncContext } from './context.js'
import type { ExternalStore } from './useStore.js'
import { useStore } from './useStore.js'

export type UsePresenceOptions = Omit<PresenceOptions, 'environment'>

const NOBODY: readonly PeerPresence<never>[] = Object.freeze([])

/**
 * Shares `state` (a cursor, a selection, a name; anything CBOR can encode, `null` for
 * nothing) with everyone else viewing the document, and returns theirs. Nothing is stored:
 * it travels as the document's ephemeral messages, is repeated every `heartbeatMs`, and a
 * peer silent for `timeoutMs` drops out. `state` is sent again only when its JSON changes,
 * so an inline object literal is fine.
 *
 * ```tsx
 * const others = usePresence(url, { name: user.name, cursor })
 * return others.map((peer) => <Cursor key={peer.peerId} {...peer.state} />)
 * ```
 */
export function usePresence<S>(urlOrId: string | undefined, state: S | null, options: UsePresenceOptions = {}): readonly PeerPresence<S>[] {
  const { client } = useSyncContext('usePresence')
  const { heartbeatMs, timeoutMs } = options
  const source = useMemo(
    () => (urlOrId === undefined ? null : new PresenceSource<S>(client, urlOrId, { heartbeatMs, timeoutMs })),
    [client, urlOrId, heartbeatMs, timeoutMs],
  )
  // Every commit; the source sends only when the state's JSON changed.
  useEffect(() => source?.set(state))
  const peers = useStore<readonly PeerPresence<S>[], readonly PeerPresence<S>[]>(source ?? NO_PRESENCE, identity)
  useDebugValue(peers, peersLabel)
  return peers
}

const peersLabel = (peers: readonly unknown[]): string => `${peers.length} ${peers.length === 1 ? 'peer' : 'peers'}`

const nobody = (): readonly PeerPresence<never>[] => NOBODY
const identity = <T,>(value: T): T => value
/** No document: nobody, and nothing to subscribe to. */
const NO_PRESENCE: ExternalStore<readonly PeerPresence<never>[]> = { subscribe: () => () => {}, getSnapshot: nobody, getServerSnapshot: nobody }

interface ActivePresence<S> {
  readonly presence: DocPresence<S>
  readonly release: () => void
  subscribers: number
}

/**
 * Presence for one document while React subscribes: the document is retained and presence
 * announced from the first subscriber, and "left" is said after the last one goes.
 */
class PresenceSource<S> {
  readonly #client: SyncClient
  readonly #urlOrId: string
  readonly #options: UsePresenceOptions
  #active: ActivePresence<S> | null = null
  #state: S | null = null
  #sentJson: string | undefined

  constructor(client: SyncClient, urlOrId: string, options: UsePresenceOptions) {
    this.#client = client
    this.#urlOrId = urlOrId
    this.#options = options
  }

  subscribe = (listener: () => void): (() => void) => {
    const active = this.#activate()
    active.subscribers++
    const unsubscribe = active.presence.subscribe(listener)
    return () => {
      unsubscribe()
      if (--active.subscribers > 0) return
      active.presence.close()
      active.release()
      if (this.#active === active) this.#active = null
      this.#sentJson = undefined
    }
  }

  getSnapshot = (): readonly PeerPresence<S>[] => this.#active?.presence.getSnapshot() ?? (NOBODY as readonly PeerPresence<S>[])

  /** Presence is never rendered on a server, nor while hydrating. */
  getServerSnapshot = (): readonly PeerPresence<S>[] => NOBODY as readonly PeerPresence<S>[]

  set(state: S | null): void {
    this.#state = state
    const json = JSON.stringify(state)
    if (this.#active === null || json === this.#sentJson) return
    this.#sentJson = json
    this.#active.presence.set(state)
  }

  #activate(): ActivePresence<S> {
    if (this.#active !== null) return this.#active
    const store = this.#client.getDocStore<unknown>(this.#urlOrId, automergeDocSupport)
    const release = this.#client.retain(store)
    const presence = new DocPresence<S>(store, this.#options)
    this.#active = { presence, release, subscribers: 0 }
    if (this.#state !== null) this.set(this.#state)
    return this.#active
  }
}
