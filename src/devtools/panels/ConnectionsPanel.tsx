import type { ReactElement } from 'react'
import type { SyncClient } from '../../core/client.js'
import type { DevtoolsLog, TransitionEvent } from '../devtoolsLog.js'
import { clock } from './format.js'

/** Every document connection and record stream: its status now, and each transition seen. */
export function ConnectionsPanel({ client, log }: { client: SyncClient; log: DevtoolsLog }): ReactElement {
  const { records } = client.inspectStores()
  const connections = new Map<string, string>()
  for (const store of records) connections.set(store.url, store.getSnapshot().status)
  const documents = client.docConnection
  for (const name of log.transitions.keys()) if (!connections.has(name)) connections.set(name, log.transitions.get(name)?.at(-1)?.to ?? 'idle')
  if (documents !== null) for (const [name, list] of log.transitions) if (list[0]?.kind === 'documents') connections.set(name, documents.getSnapshot().status)
  if (connections.size === 0) return <p className="muted">No connection yet.</p>
  return (
    <div>
      {[...connections].map(([name, status]) => (
        <section key={name} data-connection={name}>
          <h3>
            <span className={status} data-status={status}>{status}</span> {name}
          </h3>
          <Timeline events={log.transitions.get(name) ?? []} />
        </section>
      ))}
    </div>
  )
}

function Timeline({ events }: { events: readonly TransitionEvent[] }): ReactElement {
  if (events.length === 0) return <p className="muted">No transition since the panel opened.</p>
  return (
    <table>
      <tbody>
        {events.map((event, index) => (
          <tr key={index} data-transition={`${event.from}>${event.to}`}>
            <td>{clock(event.time)}</td>
            <td>{event.event}</td>
            <td>
              {event.from} → {event.to}
            </td>
            <td className="error">{event.error === null ? '' : `${event.error.code}: ${event.error.message}`}</td>
            <td>{event.retryInMs === undefined ? '' : `retry in ${event.retryInMs} ms`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
