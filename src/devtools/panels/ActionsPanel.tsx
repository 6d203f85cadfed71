import type { ReactElement } from 'react'
import { useState } from 'react'
import type { SyncClient } from '../../core/client.js'

/**
 * What a developer tries when something is stuck. "Offline" stops this client's streams and
 * socket (other tabs and the browser stay online); writes made meanwhile wait in the outbox.
 */
export function ActionsPanel({ client, offline, setOffline }: { client: SyncClient; offline: boolean; setOffline: (offline: boolean) => void }): ReactElement {
  const [confirming, setConfirming] = useState(false)
  const [message, setMessage] = useState('')
  const report = (done: string) => (error?: unknown) => setMessage(error === undefined ? done : `Failed: ${String(error)}`)
  const stopAll = async (): Promise<void> => {
    const { records } = client.inspectStores()
    await Promise.all([...records.map((store) => store.stop()), client.docConnection?.close()])
  }
  const startAll = (): void => {
    for (const store of client.inspectStores().records) store.start()
    client.docConnection?.start()
  }
  const reconnect = (): void => void stopAll().then(startAll).then(report('Reconnected'), report(''))
  const toggleOffline = (): void => {
    if (offline) startAll()
    else void stopAll().catch(report(''))
    setOffline(!offline)
  }
  const flush = (): void => {
    const { records, documents } = client.inspectStores()
    const flushes = [...records.map((store) => store.flushCache()), ...documents.map((store) => (store as { flushCache?: () => Promise<void> }).flushCache?.())]
    void Promise.all(flushes).then(() => report('Cache flushed')(), report(''))
  }
  const clear = (): void => {
    setConfirming(false)
    client.clearLocalData({ discardUnsent: true }).then(() => report('Local data cleared')(), report(''))
  }
  return (
    <div className="actions">
      <p>
        <button onClick={reconnect}>Force a reconnect</button> <button onClick={toggleOffline} aria-pressed={offline}>{offline ? 'Back online' : 'Simulate offline'}</button>{' '}
        <button onClick={flush}>Flush the cache</button>{' '}
        {confirming ? (
          <>
            Delete every record, document and unsent write on this device? <button onClick={clear}>Yes, clear local data</button> <button onClick={() => setConfirming(false)}>Cancel</button>
          </>
        ) : (
          <button onClick={() => setConfirming(true)}>Clear local data…</button>
        )}
      </p>
      {message !== '' && <p role="status">{message}</p>}
    </div>
  )
}
