import type { ReactElement } from 'react'
import { useEffect, useState } from 'react'
import type { SyncClient } from '../../core/client.js'
import type { Automerge } from '../../core/docs/automerge.js'
import { loadAutomerge } from '../../core/docs/automerge.js'
import type { DevtoolsLog } from '../devtoolsLog.js'
import { clock, preview } from './format.js'
import { useRefreshOn } from './useRefreshOn.js'

/** Every open document: id, heads, saved levels, cache chunks, peers seen through presence, and its content as JSON. */
export function DocumentsPanel({ client, log }: { client: SyncClient; log: DevtoolsLog }): ReactElement {
  const { documents } = client.inspectStores()
  useRefreshOn(documents)
  const [automerge, setAutomerge] = useState<Automerge | null>(null)
  useEffect(() => {
    // Already loaded by any open document; the heads show once it is here.
    if (documents.length > 0) loadAutomerge().then(setAutomerge, () => {})
  }, [documents.length])
  if (documents.length === 0) return <p className="muted">No open document.</p>
  return (
    <div>
      {documents.map((store) => {
        const snapshot = store.getSnapshot()
        const heads = snapshot.doc !== undefined && automerge !== null ? automerge.getHeads(snapshot.doc) : []
        // Not on the DocStore interface: the store class keeps it for the devtools.
        const chunks = (store as { cacheChunks?: number }).cacheChunks
        const peers = [...(log.peers.get(store.documentId) ?? [])]
        return (
          <section key={store.documentId} data-document={store.documentId}>
            <h3>{store.url}</h3>
            <p>
              {snapshot.status}; saved locally: {String(snapshot.saved.local)}, on the server: {String(snapshot.saved.server)}
              {snapshot.error !== null && <span className="error"> ({snapshot.error.code}: {snapshot.error.message})</span>}
            </p>
            <p className="muted">heads: {heads.length === 0 ? '-' : heads.map((head) => head.slice(0, 8)).join(', ')}</p>
            <p data-cache-chunks={chunks ?? ''}>cache chunks: {chunks === undefined ? 'no cache' : chunks}</p>
            <p data-peers={peers.length}>
              peers seen through presence{peers.length === 0 ? ' since the panel mounted: none' : ':'}{' '}
              {peers.map(([peerId, lastSeen]) => `${peerId} (last heard ${clock(lastSeen)})`).join(', ')}
            </p>
            <pre>{snapshot.doc === undefined ? '(not loaded)' : preview(snapshot.doc)}</pre>
          </section>
        )
      })}
    </div>
  )
}
