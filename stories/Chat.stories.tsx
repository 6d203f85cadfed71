import type { Meta, StoryObj } from '@storybook/react-vite'
import { useEffect, useState } from 'react'
import type { SyncStatus, WatchRecord } from 'syncline'
import { SyncProvider, SyncStatusBadge, createMemoryCache, useRecords } from 'syncline'
import { fresh, storyServer } from './storyServer.js'

const COLLECTION = 'com.example.message'
interface Message {
  text: string
}

interface ChatProps {
  /** The room (a watchRecords `roomUri`). Each story render gets a fresh one unless you set it. */
  room: string
  /** Who is typing (dev-mode server: writes name their author). */
  author: string
  /** Make the next send fail on the server (an invalid write), to show retry and rollback. */
  failNextSend: boolean
  /** Messages already in the room before the watch starts, to make the snapshot visible. */
  prefilled: number
}

async function putMessage(room: string, author: string, rkey: string, text: string, broken = false): Promise<void> {
  const response = await fetch(`${storyServer.url}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // A broken write sends a value that is not an object, which the server refuses with 400.
    body: JSON.stringify({ roomUri: room, rkey, did: author, value: broken ? 'not a record' : { text } }),
  })
  if (!response.ok) throw new Error(`The server refused the message (HTTP ${response.status})`)
}

/** A live chat over watchRecords: optimistic send, failed send with retry and rollback, and the status log. */
function Chat({ room, author, failNextSend }: Omit<ChatProps, 'prefilled'>) {
  const url = `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`
  const { records, status, addOptimistic, markFailed, removeOptimistic } = useRecords<Message>(url)
  const [draft, setDraft] = useState('')
  const statuses = useStatusLog(status)

  const send = async (rkey: string, text: string): Promise<void> => {
    addOptimistic({ rkey, did: author, value: { text } })
    try {
      await putMessage(room, author, rkey, text, failNextSend)
    } catch (error) {
      markFailed(rkey, error, author)
    }
  }

  return (
    <div className="sl-card" style={{ width: 420 }}>
      <div className="sl-header">
        <h3># {room}</h3>
        <SyncStatusBadge recordsUrl={url} />
      </div>
      <ul className="sl-list sl-scroll" aria-label="Messages">
        {[...records].reverse().map((record: WatchRecord<Message>) => (
          <li key={record.uri} className={record.optimistic === 'pending' ? 'sl-pending' : record.optimistic === 'failed' ? 'sl-failed' : ''}>
            <span style={{ flex: 1 }}>
              <strong>{record.did.replace('did:example:', '')}</strong> {record.value.text}
            </span>
            {record.optimistic === 'pending' && <span className="sl-muted">sending…</span>}
            {record.optimistic === 'failed' && (
              <>
                <button className="sl-button" type="button" onClick={() => void send(record.rkey, record.value.text)}>Retry</button>
                <button className="sl-button" type="button" onClick={() => removeOptimistic(record.rkey, author)}>Discard</button>
              </>
            )}
          </li>
        ))}
        {records.length === 0 && <li className="sl-muted">No messages yet.</li>}
      </ul>
      <form
        className="sl-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (!draft.trim()) return
          void send(`m${Date.now().toString(36)}`, draft.trim())
          setDraft('')
        }}
      >
        <input aria-label="Message" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Say something" />
        <button className="sl-button primary" type="submit">Send</button>
      </form>
      <ol className="sl-log" aria-label="Status log">
        {statuses.map((entry, index) => <li key={index}>{entry}</li>)}
      </ol>
    </div>
  )
}

/** Every status the connection passed through, with the time since mount. */
function useStatusLog(status: SyncStatus): string[] {
  const [started] = useState(() => Date.now())
  const [log, setLog] = useState<{ last: SyncStatus | null; lines: string[] }>({ last: null, lines: [] })
  // Derived from the status prop during render (React's pattern for state that follows a prop);
  // reading the clock here is the point of a log.
  // eslint-disable-next-line react-hooks/purity
  if (log.last !== status) setLog({ last: status, lines: [...log.lines, `+${String(Date.now() - started).padStart(5)} ms  ${status}`] })
  return log.lines
}

function ChatDemo({ room, author, failNextSend, prefilled }: ChatProps) {
  const [ready, setReady] = useState(prefilled === 0)
  const [cache] = useState(() => createMemoryCache())
  useEffect(() => {
    if (prefilled === 0) return
    void (async () => {
      // One at a time, so they keep their order.
      for (let i = 0; i < prefilled; i++) await putMessage(room, 'did:example:bot', `p${String(i).padStart(3, '0')}`, `earlier message ${i + 1}`)
      setReady(true)
    })()
  }, [room, prefilled])
  if (!ready) return <p className="sl-muted">Preparing the room…</p>
  return (
    <SyncProvider recordsBaseUrl={storyServer.url} cache={cache}>
      <Chat room={room} author={author} failNextSend={failNextSend} />
    </SyncProvider>
  )
}

const meta = {
  title: 'Records/Live chat',
  component: ChatDemo,
  args: { room: fresh('chat'), author: 'did:example:you', failNextSend: false, prefilled: 3 },
  parameters: {
    docs: {
      description: {
        component:
          '`useRecords` against the reference server. Sends show at once (pending), then settle when the server echoes them. The status log shows `connecting → snapshot → live`: records of the snapshot appear as they arrive.',
      },
    },
  },
} satisfies Meta<typeof ChatDemo>

export default meta
type Story = StoryObj<typeof meta>

/** Type and send: the message shows at once, greyed until the server confirms it. */
export const OptimisticSend: Story = {}

/** The next send fails on the server; the message stays, marked failed, with Retry and Discard. */
export const FailedSendWithRetryAndRollback: Story = { args: { failNextSend: true, room: fresh('chat-fail') } }

/** A room with 50 earlier messages: watch `snapshot` turn into `live` in the log below the chat. */
export const SnapshotThenLive: Story = { args: { prefilled: 50, room: fresh('chat-snapshot') } }
