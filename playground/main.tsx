import { StrictMode, useState } from 'react'
import type { FormEvent } from 'react'
import { createRoot } from 'react-dom/client'
import type { SyncStatus } from 'syncline'
import {
  SyncProvider,
  SyncStatusBadge,
  UnsavedChangesGuard,
  createIndexedDBCache,
  createSyncClient,
  useConnectionStatus,
  useOnline,
  useRecords,
  useSyncStatus,
} from 'syncline'
import { Chat } from './Chat.js'
import { Notes } from './Notes.js'
import { colorOf, initialOf } from './people.js'

/** `?server=` overrides the server for tests and for pointing at a deployed instance. */
const serverUrl =
  new URLSearchParams(location.search).get('server') ?? import.meta.env.VITE_SYNCLINE_URL ?? 'http://127.0.0.1:3030'

/**
 * One client for the whole app, made outside React. The same as `<SyncProvider url
 * recordsBaseUrl>` would make, except for the reconnect policy. The default's random waits grow
 * from up to 1 s to up to 30 s, which spreads many clients out while a server recovers; here
 * the server is one local process you restart by hand, so every retry comes within 3 s.
 */
const client = createSyncClient({
  url: serverUrl.replace(/^http/, 'ws'),
  recordsBaseUrl: serverUrl,
  // This server has no sign-in: a write names its author in its body.
  did: `did:example:${storedName()}`,
  cache: createIndexedDBCache(),
  reconnect: { initialDelayMs: 500, maxDelayMs: 3000 },
})

const DEFAULT_ROOMS = ['general', 'design', 'random']
/** Rooms people add are records in the `lobby` room, so every window lists them. */
const ROOM_COLLECTION = 'com.example.room'
const LOBBY_URL = `/xrpc/${ROOM_COLLECTION}.watchRecords?roomUri=lobby`

function storedName(): string {
  const existing = localStorage.getItem('syncline-playground-name')
  if (existing) return existing
  const name = `guest-${Math.random().toString(36).slice(2, 6)}`
  localStorage.setItem('syncline-playground-name', name)
  return name
}

const roomName = (input: string): string =>
  input
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)

function Rooms({ room, did, onOpen }: { room: string; did: string; onOpen: (room: string) => void }) {
  const { records } = useRecords<{ name: string }>(LOBBY_URL)
  const [adding, setAdding] = useState(false)
  const [draft, setDraft] = useState('')
  const added = records.map((record) => record.value.name).filter((name) => typeof name === 'string').sort()
  const rooms = [...new Set([...DEFAULT_ROOMS, ...added, room])]

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    const name = roomName(draft)
    if (!name) return
    setDraft('')
    setAdding(false)
    onOpen(name)
    if (rooms.includes(name)) return
    void fetch(`${serverUrl}/xrpc/${ROOM_COLLECTION}.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: 'lobby', rkey: name, did, value: { name } }),
    })
  }

  return (
    <nav aria-label="Rooms">
      <p className="nav-title">Rooms</p>
      {rooms.map((candidate) => (
        <button key={candidate} type="button" className={candidate === room ? 'room active' : 'room'} onClick={() => onOpen(candidate)}>
          <span className="hash">#</span> {candidate}
        </button>
      ))}
      {adding ? (
        <form className="new-room" onSubmit={onSubmit}>
          <input
            aria-label="Room name"
            placeholder="room-name"
            autoFocus
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onBlur={() => !draft && setAdding(false)}
          />
        </form>
      ) : (
        <button type="button" className="room add" onClick={() => setAdding(true)}>
          + New room
        </button>
      )}
    </nav>
  )
}

const TONE: Record<SyncStatus, 'good' | 'busy' | 'bad' | 'quiet'> = {
  idle: 'quiet',
  connecting: 'busy',
  snapshot: 'busy',
  live: 'good',
  reconnecting: 'bad',
  closed: 'quiet',
}

/** Where this window stands: the network, the connections, and whether the user's work is safe. */
function ConnectionPanel() {
  const status = useConnectionStatus()
  const online = useOnline()
  const { pending, savedLocal, savedServer } = useSyncStatus()
  const rows: Array<{ label: string; value: string; tone: 'good' | 'busy' | 'bad' | 'quiet' }> = [
    { label: 'Network', value: online ? 'online' : 'offline', tone: online ? 'good' : 'bad' },
    { label: 'Sync', value: status, tone: TONE[status] },
    // Everything received and written is in this browser's IndexedDB: a reload paints from it.
    { label: 'Offline copy', value: savedLocal ? 'up to date' : 'updating…', tone: savedLocal ? 'good' : 'busy' },
    { label: 'Your edits', value: savedServer ? 'on the server' : `${pending} waiting`, tone: savedServer ? 'good' : 'busy' },
  ]
  return (
    <section className="connection" aria-label="Connection">
      <div className="connection-head">
        <span>Connection</span>
      </div>
      <SyncStatusBadge showSaved={false} />
      <dl>
        {rows.map((row) => (
          <div key={row.label} className="connection-row" data-tone={row.tone}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </div>
        ))}
      </dl>
      <p className="server" title={serverUrl}>
        {new URL(serverUrl).host}
      </p>
    </section>
  )
}

function App() {
  const [room, setRoom] = useState<string>(() => new URLSearchParams(location.search).get('room') ?? DEFAULT_ROOMS[0]!)
  const [name] = useState(storedName)
  const did = `did:example:${name}`
  const open = (next: string): void => {
    setRoom(next)
    // The room goes in the address, so a reload or a shared link opens it.
    const url = new URL(location.href)
    url.searchParams.set('room', next)
    history.replaceState(null, '', url)
  }
  return (
    <SyncProvider client={client}>
      <div className="app">
        <aside className="sidebar">
          <h1 className="brand">
            <span className="logo" aria-hidden="true" />
            syncline
          </h1>
          <p className="who">
            <span className="me" style={{ background: colorOf(name) }} aria-hidden="true">
              {initialOf(name)}
            </span>
            <span>
              Signed in as <strong>{name}</strong>
            </span>
          </p>
          <Rooms room={room} did={did} onOpen={open} />
          <ConnectionPanel />
        </aside>
        <Chat key={room} room={room} did={did} />
        <Notes key={`notes-${room}`} room={room} name={name} serverUrl={serverUrl} />
        {/* Local-first: once an edit is on this device it survives a reload, so only warn before that. */}
        <UnsavedChangesGuard level="local" />
      </div>
    </SyncProvider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
