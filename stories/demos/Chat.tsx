import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { WatchRecord } from 'syncline'
import { SyncProvider, SyncStatusBadge, createMemoryCache, createSyncClient, useRecords } from 'syncline'
import { StatusLog } from '../kit.js'
import { pacedFetch } from '../network.js'
import { storyServer } from '../storyServer.js'

const COLLECTION = 'com.example.message'
interface Message {
  text: string
}

interface ChatProps {
  /** The room (a watchRecords `roomUri`). Each story gets a fresh one unless you set it. */
  room: string
  /** Who is typing (the dev-mode server lets a write name its author). */
  author: string
  /** How many of the next sends the server refuses (an invalid write), to show Retry and Discard. */
  failures: number
  /** Messages already in the room before the watch starts, to make the snapshot visible. */
  prefilled: number
  /** Sent as soon as the chat is live, so the story opens on something to look at. */
  firstMessage: string
  /** Delay between the stream's frames (ms), to watch the snapshot arrive; 0 is loopback speed. Server-Sent Events only. */
  frameDelayMs: number
  /** How the watch streams: Server-Sent Events, or the WebSocket handshake (`mode=ws`). */
  transport: 'sse' | 'ws'
}

async function putMessage(room: string, author: string, rkey: string, text: string, broken = false): Promise<void> {
  const response = await fetch(`${storyServer.url}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // A broken write sends a value that is not an object, which the server refuses with 400.
    body: JSON.stringify({ roomUri: room, rkey, did: author, value: broken ? 'not a record' : { text } }),
  })
  if (!response.ok) throw new Error(`the server refused it (HTTP ${response.status})`)
}

const nameOf = (did: string): string => did.replace(/^did:example:/, '')

/** A live chat over watchRecords: optimistic send, failed send with retry and rollback, and the status log. */
function Chat({ room, author, failures, firstMessage, transport }: Omit<ChatProps, 'prefilled' | 'frameDelayMs'>) {
  const url = `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`
  const { records, status, addOptimistic, markFailed, removeOptimistic } = useRecords<Message>(url, { transport })
  const [draft, setDraft] = useState('')
  const failuresLeft = useRef(failures)
  const sentFirst = useRef(false)
  const list = useRef<HTMLUListElement>(null)
  // A chat keeps the newest message in view.
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight })
  }, [records.length])

  const send = useCallback(
    async (rkey: string, text: string): Promise<void> => {
      addOptimistic({ rkey, did: author, value: { text } })
      const broken = failuresLeft.current > 0
      if (broken) failuresLeft.current--
      try {
        await putMessage(room, author, rkey, text, broken)
      } catch (error) {
        markFailed(rkey, error, author)
      }
    },
    [addOptimistic, markFailed, room, author],
  )

  useEffect(() => {
    if (status !== 'live' || sentFirst.current || !firstMessage) return
    sentFirst.current = true
    void send(newRkey(), firstMessage)
  }, [status, firstMessage, send])

  return (
    <div className="sl-card sl-chat">
      <div className="sl-header">
        <h3># {room.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')}</h3>
        <SyncStatusBadge recordsUrl={url} transport={transport} />
      </div>
      <ul ref={list} className="sl-messages sl-scroll" aria-label="Messages">
        {[...records].reverse().map((record: WatchRecord<Message>) => (
          <li key={record.uri} className={`sl-message${record.did === author ? ' mine' : ''}${record.optimistic ? ` ${record.optimistic}` : ''}`}>
            <div className="sl-message-meta">
              <strong>{nameOf(record.did)}</strong>
              {record.optimistic === 'pending' && <span>sending…</span>}
            </div>
            <div>{record.value.text}</div>
            {record.optimistic === 'failed' && (
              <div className="sl-message-failed">
                <span>Not sent: {record.optimisticError?.message ?? 'unknown error'}</span>
                <span className="sl-message-actions">
                  <button className="sl-button small" type="button" onClick={() => void send(record.rkey, record.value.text)}>Retry</button>
                  <button className="sl-button small" type="button" onClick={() => removeOptimistic(record.rkey, author)}>Discard</button>
                </span>
              </div>
            )}
          </li>
        ))}
        {records.length === 0 && <li className="sl-empty">{status === 'live' ? 'No messages yet. Say hello!' : 'Loading…'}</li>}
      </ul>
      <form
        className="sl-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (!draft.trim()) return
          void send(newRkey(), draft.trim())
          setDraft('')
        }}
      >
        <input className="sl-input" aria-label="Message" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Say something" />
        <button className="sl-button primary" type="submit">Send</button>
      </form>
      <StatusLog status={status} detail={`${records.length} message${records.length === 1 ? '' : 's'}`} />
    </div>
  )
}

/** Made on the client, so the optimistic entry and the confirmed record share it; sorts by time. */
const newRkey = (): string => `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

/** A chat room: `useRecords` with optimistic sends, `<SyncStatusBadge recordsUrl>` and a log of connection states. */
export function ChatDemo({ room, author, failures, prefilled, firstMessage, frameDelayMs, transport }: ChatProps) {
  const [ready, setReady] = useState(prefilled === 0)
  // A new client (and cache) when the pace changes, so the whole stream replays at that pace.
  const client = useMemo(
    () => createSyncClient({ recordsBaseUrl: storyServer.url, cache: createMemoryCache(), fetch: pacedFetch(frameDelayMs) }),
    [frameDelayMs],
  )
  useEffect(() => {
    if (prefilled === 0) return
    void (async () => {
      // One at a time, so they keep their order.
      for (let i = 0; i < prefilled; i++) await putMessage(room, 'did:example:ada', `p${String(i).padStart(3, '0')}`, SAMPLE[i] ?? `Note ${i + 1} from the archive`)
      setReady(true)
    })()
  }, [room, prefilled])
  if (!ready) return <p className="sl-muted">Preparing the room…</p>
  return (
    <SyncProvider client={client}>
      <Chat key={`${room} ${failures}`} room={room} author={author} failures={failures} firstMessage={firstMessage} transport={transport} />
    </SyncProvider>
  )
}

const SAMPLE = [
  'Morning! The new build is up.',
  'Looks good on my phone.',
  'Can someone check the offline banner?',
  'On it.',
  'Banner fixed, and the retry button too.',
  'Shipped. Thanks all!',
]
