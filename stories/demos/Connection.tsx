import { useState } from 'react'
import { SyncProvider, SyncStatusBadge, UnsavedChangesGuard, useConnectionStatus, useDoc, useSyncStatus, useUnsavedChangesGuard } from 'syncline'
import type { Note } from '../kit.js'
import { ConnectionControls, NoteCreator, StatusLog, useStoryClient } from '../kit.js'

function NoteEditor({ url }: { url: string }) {
  const [note, change] = useDoc<Note>(url)
  const { pending, savedLocal, savedServer } = useSyncStatus()
  const guarded = useUnsavedChangesGuard({ level: 'server' })
  return (
    <div className="sl-stack">
      <textarea
        aria-label="Note"
        className="sl-textarea"
        rows={3}
        value={note?.text ?? ''}
        placeholder={note ? '' : 'Loading…'}
        disabled={!note}
        onChange={(event) => {
          const text = event.target.value
          change((doc) => void (doc.text = text))
        }}
      />
      <dl className="sl-levels">
        <div data-ok={savedLocal}>
          <dt>On this device</dt>
          <dd>{savedLocal ? 'Saved' : 'Saving…'}</dd>
        </div>
        <div data-ok={savedServer}>
          <dt>On the server</dt>
          <dd>{savedServer ? 'Saved' : `${pending} change${pending === 1 ? '' : 's'} waiting`}</dd>
        </div>
      </dl>
      {guarded && <p className="sl-warning">Unsaved on the server: closing or reloading this page now asks for confirmation.</p>}
    </div>
  )
}

function Log() {
  return <StatusLog status={useConnectionStatus()} />
}

interface ConnectionProps {
  /** Show the saved levels in the badge (`<SyncStatusBadge showSaved>`). */
  showSaved: boolean
  /** Show the log of every state the connection passed through. */
  showLog: boolean
}

/** Stop and restart the server, or unplug this client, and watch the badge and the saved levels. */
export function ConnectionStates({ showSaved, showLog }: ConnectionProps) {
  const { client, network } = useStoryClient()
  const [url, setUrl] = useState<string>()
  return (
    <SyncProvider client={client}>
      <div className="sl-card" style={{ width: 480 }}>
        <div className="sl-header">
          <h3>Release notes</h3>
          <SyncStatusBadge showSaved={showSaved} />
        </div>
        <ConnectionControls network={network} />
        {url === undefined && <NoteCreator text="Type here, then stop the server or go offline and keep typing." onCreated={setUrl} />}
        {url !== undefined && <NoteEditor url={url} />}
        {showLog && <Log />}
        <UnsavedChangesGuard level="server" />
      </div>
    </SyncProvider>
  )
}
