import { useEffect, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import { SyncStatusBadge, useRecords } from 'syncline'
import type { SyncStatus, WatchRecord } from 'syncline'
import { colorOf, initialOf } from './people.js'

interface Message {
  text: string
  author: string
  createdAt: string
}

const COLLECTION = 'com.example.message'

/** A record key that sorts by time, made on the client so the optimistic entry and the
 *  confirmed record share it. */
function newRkey(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
}

export function Chat({ room, did, serverUrl }: { room: string; did: string; serverUrl: string }) {
  const watchUrl = `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`
  const { records, status, addOptimistic, markFailed, removeOptimistic } = useRecords<Message>(watchUrl)
  const [draft, setDraft] = useState('')

  const send = async (message: Message, rkey: string): Promise<void> => {
    addOptimistic({ rkey, did, value: message })
    try {
      const response = await fetch(`${serverUrl}/xrpc/${COLLECTION}.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: room, rkey, did, value: message }),
      })
      if (!response.ok) throw new Error(`The server answered ${response.status}`)
    } catch (error) {
      markFailed(rkey, error, did)
    }
  }

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    const text = draft.trim()
    if (!text) return
    setDraft('')
    void send({ text, author: did.replace('did:example:', ''), createdAt: new Date().toISOString() }, newRkey())
  }

  // Newest first from the store; a chat reads oldest first.
  const ordered = [...records].reverse()
  const list = useRef<HTMLOListElement>(null)
  // Keep the newest message in view as messages arrive.
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight })
  }, [records.length])

  return (
    <main className="chat">
      <header className="chat-header">
        <h2># {room}</h2>
        <SyncStatusBadge recordsUrl={watchUrl} />
      </header>
      <ol ref={list} className="messages" aria-label="Messages" data-status={status}>
        {ordered.length === 0 && <li className="empty">{emptyText(status)}</li>}
        {ordered.map((record) => (
          <MessageRow
            key={`${record.did}/${record.rkey}`}
            record={record}
            mine={record.did === did}
            onRetry={() => void send(record.value, record.rkey)}
            onDiscard={() => removeOptimistic(record.rkey, did)}
          />
        ))}
      </ol>
      <form className="composer" onSubmit={onSubmit}>
        <input
          aria-label="Message"
          placeholder={`Message #${room}`}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit">Send</button>
      </form>
    </main>
  )
}

function emptyText(status: SyncStatus): string {
  if (status === 'live') return 'No messages yet. Say hello!'
  if (status === 'reconnecting' || status === 'closed') return 'No messages on this device yet. They will show when the connection is back.'
  return 'Loading messages…'
}

function MessageRow({ record, mine, onRetry, onDiscard }: {
  record: WatchRecord<Message>
  mine: boolean
  onRetry: () => void
  onDiscard: () => void
}) {
  // Records written by other clients may lack author or createdAt: fall back to the did, and
  // show no time rather than a wrong one.
  const author = typeof record.value.author === 'string' ? record.value.author : record.did.replace(/^did:[a-z]+:/, '')
  const time = record.value.createdAt ? new Date(record.value.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : ''
  return (
    <li className={`message${mine ? ' mine' : ''}${record.optimistic ? ` ${record.optimistic}` : ''}`}>
      <span className="avatar" aria-hidden="true" style={{ background: colorOf(author) }}>
        {initialOf(author)}
      </span>
      <div className="bubble">
        <div className="meta">
          <span className="author">{author}</span>
          <span className="time">{time}</span>
          {record.optimistic === 'pending' && <span className="state">sending…</span>}
        </div>
        <p className="text">{record.value.text}</p>
        {record.optimistic === 'failed' && (
          <p className="failed">
            Not sent{record.optimisticError ? `: ${record.optimisticError.message}` : ''}.{' '}
            <button type="button" onClick={onRetry}>Retry</button>{' '}
            <button type="button" onClick={onDiscard}>Discard</button>
          </p>
        )}
      </div>
    </li>
  )
}
