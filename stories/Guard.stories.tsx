import type { Meta, StoryObj } from '@storybook/react-vite'
import { useState } from 'react'
import { SyncProvider, SyncStatusBadge, UnsavedChangesGuard, useDoc, useUnsavedChangesGuard } from 'syncline'
import type { Note } from './noteDemo.js'
import { NoteCreator as Creator, useStoryClient as useClient } from './noteDemo.js'
import { serverControl } from './storyServer.js'

interface GuardProps {
  /** What counts as saved: in the local cache, or acknowledged by the server. */
  level: 'local' | 'server'
}

/** The guard alone: type while the server is stopped and see whether leaving would be guarded. */
function GuardDemo({ level }: GuardProps) {
  const client = useClient()
  const [url, setUrl] = useState<string>()
  return (
    <div className="sl-card" style={{ width: 460 }}>
      <div className="sl-header">
        <h3>Unsaved-changes guard ({level})</h3>
        <SyncProvider client={client}>
          <SyncStatusBadge />
        </SyncProvider>
      </div>
      <div className="sl-row" style={{ margin: '8px 0' }}>
        <button className="sl-button" type="button" onClick={() => void serverControl('stop').catch(() => {})}>Stop server</button>
        <button className="sl-button" type="button" onClick={() => void serverControl('start').catch(() => {})}>Start server</button>
      </div>
      <SyncProvider client={client}>
        {url === undefined && <Creator onCreated={setUrl} />}
        {url !== undefined && <GuardedEditor url={url} level={level} />}
        <UnsavedChangesGuard level={level} />
      </SyncProvider>
    </div>
  )
}

function GuardedEditor({ url, level }: { url: string } & GuardProps) {
  const [note, change] = useDoc<Note>(url)
  const guarded = useUnsavedChangesGuard({ level })
  return (
    <div className="sl-stack">
      <input
        aria-label="Note"
        style={{ font: 'inherit', borderRadius: 8, border: '1px solid var(--line)', padding: '6px 10px' }}
        value={note?.text ?? ''}
        disabled={!note}
        onChange={(event) => {
          const text = event.target.value
          change((doc) => void (doc.text = text))
        }}
      />
      {guarded ? (
        <p className="sl-warning">Not saved {level === 'server' ? 'on the server' : 'on this device'} yet: closing or reloading this page asks first.</p>
      ) : (
        <p className="sl-muted">Everything is saved {level === 'server' ? 'on the server' : 'on this device'}: leaving is safe.</p>
      )}
    </div>
  )
}

const meta = {
  title: 'Connection/Unsaved-changes guard',
  component: GuardDemo,
  args: { level: 'server' },
  argTypes: { level: { control: { type: 'inline-radio' }, options: ['local', 'server'] } },
  parameters: {
    docs: {
      description: {
        component:
          '`<UnsavedChangesGuard level>` (or `useUnsavedChangesGuard`) asks the browser to confirm leaving while work is not saved at that level. Its `beforeunload` listener exists only while something is unsaved, so the page stays eligible for the back/forward cache.',
      },
    },
  },
} satisfies Meta<typeof GuardDemo>

export default meta
type Story = StoryObj<typeof meta>

/** With `server`: stop the server and type; the guard turns on until the edit reaches the server. */
export const UntilSavedOnTheServer: Story = {}

/** With `local`: the guard only waits for the local cache, which is at once. */
export const UntilSavedLocally: Story = { args: { level: 'local' } }

