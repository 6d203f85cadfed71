import type { ReactElement } from 'react'
import type { SyncClient } from '../../core/client.js'
import type { DevtoolsLog } from '../devtoolsLog.js'
import { useRefreshOn } from './useRefreshOn.js'

/** Per record store: its count, optimistic entries, outbox (tries, last error) and the window loaded. */
export function RecordsPanel({ client, log }: { client: SyncClient; log: DevtoolsLog }): ReactElement {
  const { records } = client.inspectStores()
  useRefreshOn(records)
  if (records.length === 0) return <p className="muted">No record store.</p>
  return (
    <div>
      {records.map((store) => {
        const snapshot = store.getSnapshot()
        const optimistic = snapshot.records.filter((record) => record.optimistic !== undefined)
        const outbox = log.outboxes.get(store.url)
        const cursor = store.olderCursor
        return (
          <section key={store.url} data-store={store.url}>
            <h3>
              {store.collection || store.url} <span className="muted">({store.url})</span>
            </h3>
            <p>
              {snapshot.status}; {snapshot.records.length} records loaded (the snapshot window and any older pages); saved locally: {String(snapshot.saved.local)}, on the server:{' '}
              {String(snapshot.saved.server)}
            </p>
            <p data-older-cursor={cursor ?? ''}>
              older records (loadOlder) page from: {cursor === undefined ? 'no snapshot yet' : cursor === null ? 'nothing older' : <code>{cursor}</code>}
            </p>
            {optimistic.length > 0 && (
              <table>
                <tbody>
                  {optimistic.map((record) => (
                    <tr key={record.rkey} data-optimistic={record.rkey}>
                      <td>{record.optimistic}</td>
                      <td>{record.rkey}</td>
                      <td className="error">{record.optimisticError?.message ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h3>Outbox</h3>
            {outbox === undefined ? (
              <p className="muted">No outbox yet: the store has not loaded its write side.</p>
            ) : outbox.length === 0 ? (
              <p className="muted">Empty: every write is on the server.</p>
            ) : (
              <table>
                <tbody>
                  {outbox.map((entry) => (
                    <tr key={entry.id} data-outbox-entry={entry.rkey}>
                      <td>{entry.op}</td>
                      <td>{entry.rkey}</td>
                      <td>{entry.tries} tries</td>
                      <td>{entry.failed === true ? 'refused' : 'waiting'}</td>
                      <td className="error">{entry.lastError === undefined ? '' : `${entry.lastError.code}: ${entry.lastError.message}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        )
      })}
    </div>
  )
}
