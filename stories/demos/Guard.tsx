import { useState } from 'react'
import { SyncProvider, SyncStatusBadge, UnsavedChangesGuard, useDoc, useUnsavedChangesGuard } from 'syncline'
import type { Note } from '../kit.js'
import { ConnectionControls, NoteCreator, useStoryClient } from '../kit.js'

interface GuardProps {
  /** What counts as saved: in the local cache, or acknowledged by the server. */
  level: 'local' | 'server'
}

/** The guard alone: go offline, type, and see whether leaving would be guarded. */
export function GuardDemo({ level }: GuardProps) {
  const { client, network } = useStoryClient()
  const [url, setUrl] = useState<string>()
  return (
    <SyncProvider client={client}>
      <div className="sl-card" style={{ width: 480 }}>
        <div className="sl-header">
          <h3>Draft</h3>
          <SyncStatusBadge />
        </div>
        <ConnectionControls network={network} showServer={false} />
        {url === undefined && <NoteCreator text="Go offline, then edit me." onCreated={setUrl} />}
        {url !== undefined && <GuardedEditor url={url} level={level} />}
        <UnsavedChangesGuard level={level} />
      </div>
    </SyncProvider>
  )
}

function GuardedEditor({ url, level }: { url: string } & GuardProps) {
  const [note, change] = useDoc<Note>(url)
  const guarded = useUnsavedChangesGuard({ level })
  return (
    <div className="sl-stack">
      <input
        aria-label="Note"
        className="sl-input"
        value={note?.text ?? ''}
        disabled={!note}
        onChange={(event) => {
          const text = event.target.value
          change((doc) => void (doc.text = text))
        }}
      />
      {guarded ? (
        <p className="sl-warning" data-guard="on">Not saved {level === 'server' ? 'on the server' : 'on this device'} yet: closing or reloading this page asks first.</p>
      ) : (
        <p className="sl-ok" data-guard="off">Everything is saved {level === 'server' ? 'on the server' : 'on this device'}: leaving is safe.</p>
      )}
    </div>
  )
}
