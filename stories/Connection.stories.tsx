import type { Meta, StoryObj } from '@storybook/react-vite'
import { useState } from 'react'
import { SyncProvider, SyncStatusBadge, UnsavedChangesGuard, useDoc, useSyncStatus, useUnsavedChangesGuard } from 'syncline'
import type { Note } from './noteDemo.js'
import { NoteCreator as Creator, useStoryClient as useClient } from './noteDemo.js'
import { serverControl } from './storyServer.js'

function NoteEditor({ url }: { url: string }) {
  const [note, change, info] = useDoc<Note>(url)
  const { pending, savedLocal, savedServer } = useSyncStatus()
  const guarded = useUnsavedChangesGuard({ level: 'server' })
  return (
    <div className="sl-stack">
      <textarea
        aria-label="Note"
        rows={4}
        style={{ width: '100%', boxSizing: 'border-box', font: 'inherit', borderRadius: 8, border: '1px solid var(--line)', padding: 8 }}
        value={note?.text ?? ''}
        disabled={!note}
        onChange={(event) => {
          const text = event.target.value
          change((doc) => void (doc.text = text))
        }}
      />
      <p className="sl-muted">
        document: {info.docStatus} · saved locally: {savedLocal ? 'yes' : 'no'} · saved on the server: {savedServer ? 'yes' : `no (${pending} pending)`}
      </p>
      {guarded && <p className="sl-warning">Unsaved changes: leaving this page now asks for confirmation.</p>}
    </div>
  )
}

interface ConnectionProps {
  /** Show the saved levels in the badge. */
  showSaved: boolean
}

/** Stop and restart the server, or disconnect this client, and watch the badge. */
function ConnectionStates({ showSaved }: ConnectionProps) {
  const client = useClient()
  const [url, setUrl] = useState<string>()
  const [connected, setConnected] = useState(true)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string>()
  const control = (action: 'stop' | 'start') => {
    setBusy(true)
    setProblem(undefined)
    serverControl(action).catch((error: unknown) => setProblem(error instanceof Error ? error.message : String(error))).finally(() => setBusy(false))
  }
  return (
    <div className="sl-card" style={{ width: 460 }}>
      <div className="sl-header">
        <h3>Connection</h3>
        <SyncProvider client={client}>
          <SyncStatusBadge showSaved={showSaved} />
        </SyncProvider>
      </div>
      <div className="sl-row" style={{ margin: '8px 0' }}>
        <button className="sl-button" type="button" disabled={busy} onClick={() => control('stop')}>Stop server</button>
        <button className="sl-button" type="button" disabled={busy} onClick={() => control('start')}>Start server</button>
        <button
          className="sl-button"
          type="button"
          onClick={() => {
            if (connected) void client.close()
            setConnected(!connected)
          }}
        >
          {connected ? 'Go offline' : 'Back online'}
        </button>
      </div>
      {problem && <p className="sl-warning">{problem}. Run the stories with `npm run storybook` to get the server controls.</p>}
      <SyncProvider client={client}>
        {url === undefined && <Creator onCreated={setUrl} />}
        {url !== undefined && connected && <NoteEditor url={url} />}
        {!connected && <p className="sl-muted">Offline: this client has closed its connections. Edits made before going offline are in the cache.</p>}
        <UnsavedChangesGuard level="server" />
      </SyncProvider>
    </div>
  )
}

const meta = {
  title: 'Connection/States and saved levels',
  component: ConnectionStates,
  args: { showSaved: true },
  parameters: {
    docs: {
      description: {
        component:
          '`<SyncStatusBadge/>` follows the state machine (`connecting → snapshot → live → reconnecting → …`) and the two saved levels. Stop the server and edit: the edit is saved locally, not on the server, and `useUnsavedChangesGuard` turns on; start it again and it reaches the server.',
      },
    },
  },
} satisfies Meta<typeof ConnectionStates>

export default meta
type Story = StoryObj<typeof meta>

/** Buttons stop and restart the server (data is kept), or take this client offline. */
export const StopAndRestart: Story = {}

/** The badge without the saved levels. */
export const StatusOnly: Story = { args: { showSaved: false } }
