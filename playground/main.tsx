import { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { SyncProvider, SyncStatusBadge, useConnectionStatus, useSyncStatus } from 'syncline'
import { Chat } from './Chat.js'
import { Notes } from './Notes.js'

/** `?server=` overrides the server for tests and for pointing at a deployed instance. */
const serverUrl =
  new URLSearchParams(location.search).get('server') ?? import.meta.env.VITE_SYNCLINE_URL ?? 'http://127.0.0.1:3030'

const ROOMS = ['general', 'design', 'random'] as const

function storedName(): string {
  const existing = localStorage.getItem('syncline-playground-name')
  if (existing) return existing
  const name = `guest-${Math.random().toString(36).slice(2, 6)}`
  localStorage.setItem('syncline-playground-name', name)
  return name
}

/** Where this window stands: the connection, and whether the user's work is safe. */
function ConnectionPanel({ serverUrl }: { serverUrl: string }) {
  const status = useConnectionStatus()
  const { pending, savedLocal, savedServer } = useSyncStatus()
  return (
    <section className="connection" aria-label="Connection">
      <SyncStatusBadge />
      <dl>
        <dt>Connection</dt>
        <dd>{status}</dd>
        <dt>On this device</dt>
        <dd>{savedLocal ? 'all saved' : 'saving…'}</dd>
        <dt>On the server</dt>
        <dd>{savedServer ? 'all saved' : `${pending} waiting`}</dd>
      </dl>
      <p className="server">
        Server <code>{serverUrl}</code>
      </p>
    </section>
  )
}

function App() {
  const params = new URLSearchParams(location.search)
  const [room, setRoom] = useState<string>(params.get('room') ?? ROOMS[0])
  const [name] = useState(storedName)
  return (
    <SyncProvider recordsBaseUrl={serverUrl} url={serverUrl.replace(/^http/, 'ws')}>
      <div className="app">
        <aside className="sidebar">
          <h1 className="brand">syncline</h1>
          <p className="who">
            Signed in as <strong>{name}</strong>
          </p>
          <nav aria-label="Rooms">
            {[...new Set([...ROOMS, room])].map((candidate) => (
              <button
                key={candidate}
                type="button"
                className={candidate === room ? 'room active' : 'room'}
                onClick={() => setRoom(candidate)}
              >
                # {candidate}
              </button>
            ))}
          </nav>
          <ConnectionPanel serverUrl={serverUrl} />
        </aside>
        <Chat key={room} room={room} did={`did:example:${name}`} serverUrl={serverUrl} />
        <Notes key={`notes-${room}`} room={room} name={name} serverUrl={serverUrl} />
      </div>
    </SyncProvider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
