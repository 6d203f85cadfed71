// Pieces several stories share: a client with a network switch, a note document, the
// server and network buttons, and a log of connection states.
import type { ReactNode } from 'react'
import { useEffect, useState } from 'react'
import type { SyncClient, SyncStatus } from 'syncline'
import { SyncProvider, createMemoryCache, createSyncClient, useCreateDoc } from 'syncline'
import type { NetworkSwitch } from './network.js'
import { createNetworkSwitch } from './network.js'
import { documentsUrl, serverControl, serverRunning, storyServer } from './storyServer.js'

export interface Note {
  text: string
}

export interface StoryClient {
  client: SyncClient
  network: NetworkSwitch
}

/**
 * A client of the stories' server behind its own network switch, retrying quickly so a
 * restarted server is picked up within a second or two.
 */
export function useStoryClient(): StoryClient {
  const [made] = useState(() => {
    const network = createNetworkSwitch()
    const client = createSyncClient({
      url: documentsUrl(),
      recordsBaseUrl: storyServer.url,
      cache: createMemoryCache(),
      reconnect: { initialDelayMs: 300, maxDelayMs: 2000 },
      fetch: network.fetch,
      WebSocket: network.WebSocket,
      environment: network.environment,
    })
    return { client, network }
  })
  return made
}

/** Creates a story's document once per mount (a new one for every story render). */
export function DocCreator<T>({ initial, onCreated }: { initial: T; onCreated: (url: string) => void }) {
  const create = useCreateDoc<T>()
  useEffect(() => {
    onCreated(create(initial))
    // Once per mount, whatever the props do afterwards.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  return null
}

export function NoteCreator({ text, onCreated }: { text: string; onCreated: (url: string) => void }) {
  return <DocCreator<Note> initial={{ text }} onCreated={onCreated} />
}

/** One browser tab, as far as syncline can tell: its own client and its own cache. */
export function Tab({ children }: { children: ReactNode }) {
  const [cache] = useState(() => createMemoryCache())
  return (
    <SyncProvider url={documentsUrl()} recordsBaseUrl={storyServer.url} cache={cache}>
      {children}
    </SyncProvider>
  )
}

/** Buttons that stop and restart the stories' server, and unplug this client's network. */
export function ConnectionControls({ network, showServer = true }: { network: NetworkSwitch; showServer?: boolean }) {
  const [online, setOnline] = useState(network.isOnline())
  const [server, setServer] = useState<'running' | 'stopped' | 'busy'>('running')
  const [problem, setProblem] = useState<string>()
  useEffect(() => {
    // Another story or tab may have stopped it.
    void serverRunning().then((running) => running === false && setServer('stopped'))
  }, [])
  const control = (action: 'stop' | 'start'): void => {
    setServer('busy')
    setProblem(undefined)
    serverControl(action).then(
      () => setServer(action === 'stop' ? 'stopped' : 'running'),
      (error: unknown) => {
        setServer('running')
        setProblem(error instanceof Error ? error.message : String(error))
      },
    )
  }
  return (
    <div className="sl-stack">
      <div className="sl-controls">
        {showServer && (
          <div className="sl-control-group" aria-label="Server">
            <span className="sl-label">Server</span>
            <button className="sl-button" type="button" disabled={server !== 'running'} onClick={() => control('stop')}>Stop</button>
            <button className="sl-button" type="button" disabled={server !== 'stopped'} onClick={() => control('start')}>Start</button>
          </div>
        )}
        <div className="sl-control-group" aria-label="Network">
          <span className="sl-label">This client</span>
          <button
            className={online ? 'sl-button' : 'sl-button primary'}
            type="button"
            onClick={() => {
              network.setOnline(!online)
              setOnline(!online)
            }}
          >
            {online ? 'Go offline' : 'Go online'}
          </button>
        </div>
      </div>
      {problem && <p className="sl-warning" role="alert">{problem}</p>}
    </div>
  )
}

interface LogEntry {
  at: number
  status: SyncStatus
  detail: string | undefined
  /** For `reconnecting`: how many connection attempts failed in a row. */
  attempts: number
}

/**
 * Every status a connection passed through, with the time since mount and what was known
 * then. Failed retries (`reconnecting → connecting → reconnecting`) fold into one entry.
 */
export function useStatusLog(status: SyncStatus, detail?: string): LogEntry[] {
  const [started] = useState(() => Date.now())
  const [log, setLog] = useState<{ last: SyncStatus | null; entries: LogEntry[] }>({ last: null, entries: [] })
  if (log.last !== status) {
    // Derived from the status during render (React's pattern for state that follows a prop);
    // reading the clock here is the point of a log.
    // eslint-disable-next-line react-hooks/purity
    const at = Date.now() - started
    const entries = [...log.entries]
    const [before, last] = entries.slice(-2)
    if (status === 'reconnecting' && last?.status === 'connecting' && before?.status === 'reconnecting') {
      entries.splice(-2, 2, { ...before, attempts: before.attempts + 1 })
    } else {
      entries.push({ at, status, detail, attempts: 1 })
    }
    setLog({ last: status, entries: entries.slice(-8) })
  }
  return log.entries
}

/** The status log: a dot, the state, when it began and (optionally) what was on screen then. */
export function StatusLog({ status, detail }: { status: SyncStatus; detail?: string }) {
  const entries = useStatusLog(status, detail)
  return (
    <ol className="sl-timeline" aria-label="Status log">
      {entries.map((entry, index) => (
        <li key={`${index}-${entry.status}`} data-status={entry.status}>
          <span className="sl-dot" />
          <span className="sl-timeline-status">{entry.status}</span>
          <span className="sl-muted">
            {formatMs(entry.at)}
            {entry.detail !== undefined && entry.detail !== entries[index - 1]?.detail && ` · ${entry.detail}`}
            {entry.attempts > 1 && ` · ${entry.attempts} attempts`}
          </span>
        </li>
      ))}
    </ol>
  )
}

const formatMs = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`)
