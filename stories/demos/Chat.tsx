import type { ReactNode } from 'react'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { RecordWriter } from 'syncline'
import { SyncProvider, SyncStatusBadge, createMemoryCache, createSyncClient, referenceWriter, useRecords } from 'syncline'
import { StatusLog } from '../kit.js'
import { pacedFetch } from '../network.js'
import { storyServer } from '../storyServer.js'
import type { Message } from './messages.js'
import { COLLECTION, Composer, MessageList, roomUrl } from './messages.js'

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
  /** Rendered inside the chat's provider, beside it (the devtools story puts the panel here). */
  children?: ReactNode
}

/** Another user's message, written straight to the server, to fill the room before the story watches it. */
async function seedMessage(room: string, author: string, rkey: string, text: string): Promise<void> {
  const response = await fetch(`${storyServer.url}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roomUri: room, rkey, did: author, value: { text } }),
  })
  if (!response.ok) throw new Error(`the server refused it (HTTP ${response.status})`)
}

/**
 * The reference server's writer, except that the first `failures` puts send a value that is
 * not an object, which the server refuses with 400: a refused write to retry or discard.
 */
function refusingWriter(failures: number): RecordWriter {
  let left = failures
  return {
    put(request) {
      if (left <= 0) return referenceWriter.put(request)
      left--
      return referenceWriter.put({ ...request, value: 'not a record' })
    },
    delete: (request) => referenceWriter.delete(request),
  }
}

/** A live chat over watchRecords: `put` through the outbox, a refused send with Retry and Discard, and the status log. */
function Chat({ room, author, firstMessage, transport }: Pick<ChatProps, 'room' | 'author' | 'firstMessage' | 'transport'>) {
  const url = roomUrl(room)
  const { records, status, put, retry, discard } = useRecords<Message>(url, { transport })
  const sentFirst = useRef(false)
  // The promise settles when the server answers; the list shows the message (pending, then
  // confirmed or failed) either way, so nothing here waits for it.
  const send = (text: string): void => void put({ text }).catch(() => {})

  useEffect(() => {
    if (status !== 'live' || sentFirst.current || !firstMessage) return
    sentFirst.current = true
    void put({ text: firstMessage }).catch(() => {})
  }, [status, firstMessage, put])

  return (
    <div className="sl-card sl-chat">
      <div className="sl-header">
        <h3># {room.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')}</h3>
        <SyncStatusBadge recordsUrl={url} transport={transport} />
      </div>
      <MessageList records={records} author={author} empty={status === 'live' ? 'No messages yet. Say hello!' : 'Loading…'} retry={retry} discard={discard} />
      <Composer onSend={send} />
      <StatusLog status={status} detail={`${records.length} message${records.length === 1 ? '' : 's'}`} />
    </div>
  )
}

/** A chat room: `useRecords` with `put` (the durable outbox), `<SyncStatusBadge recordsUrl>` and a log of connection states. */
export function ChatDemo({ room, author, failures, prefilled, firstMessage, frameDelayMs, transport, children }: ChatProps) {
  const [ready, setReady] = useState(prefilled === 0)
  // A new client (and cache) when the pace changes, so the whole stream replays at that pace,
  // or when the refusals or the author do, so they apply from the next send.
  const client = useMemo(
    () =>
      createSyncClient({
        recordsBaseUrl: storyServer.url,
        cache: createMemoryCache(),
        fetch: pacedFetch(frameDelayMs),
        // The story server runs without authentication, so it takes a write's author from its body.
        did: author,
        writer: refusingWriter(failures),
      }),
    [frameDelayMs, failures, author],
  )
  useEffect(() => {
    if (prefilled === 0) return
    void (async () => {
      // One at a time, so they keep their order.
      for (let i = 0; i < prefilled; i++) await seedMessage(room, 'did:example:ada', `p${String(i).padStart(3, '0')}`, SAMPLE[i] ?? `Note ${i + 1} from the archive`)
      setReady(true)
    })()
  }, [room, prefilled])
  if (!ready) return <p className="sl-muted">Preparing the room…</p>
  return (
    <SyncProvider client={client}>
      <Chat key={`${room} ${failures}`} room={room} author={author} firstMessage={firstMessage} transport={transport} />
      {children}
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
