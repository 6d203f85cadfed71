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

export function Chat({ room, did }: { room: string; did: string }) {
  const watchUrl = `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`
  // `put` keeps a message in the outbox (IndexedDB) until the server has it: typed offline,
  // it shows as sending, survives a reload, and goes out when the connection is back.
  const { records, status, put, retry, discard } = useRecords<Message>(watchUrl)
  const [draft, setDraft] = useState('')

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    const text = draft.trim()
    if (!text) return
    setDraft('')
    void put({ text, author: did.replace('did:example:', ''), createdAt: new Date().toISOString() })
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
            onRetry={() => retry(record.rkey)}
            onDiscard={() => discard(record.rkey)}
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
