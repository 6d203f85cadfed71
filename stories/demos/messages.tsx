// The message list and the composer the chat stories share.
import { useEffect, useRef, useState } from 'react'
import type { WatchRecord } from 'syncline'

export const COLLECTION = 'com.example.message'
export interface Message {
  text: string
}

/** The watch URL of a room's messages. */
export const roomUrl = (room: string): string => `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`

const nameOf = (did: string): string => did.replace(/^did:example:/, '')

interface MessageListProps {
  records: readonly WatchRecord<Message>[]
  /** The local user: their messages sit on the right. */
  author: string
  /** What an empty room says. */
  empty: string
  retry(rkey: string): void
  discard(rkey: string): void
}

/** Oldest first, the newest kept in view; a pending message says so, a refused one offers Retry and Discard. */
export function MessageList({ records, author, empty, retry, discard }: MessageListProps) {
  const list = useRef<HTMLUListElement>(null)
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight })
  }, [records.length])
  return (
    <ul ref={list} className="sl-messages sl-scroll" aria-label="Messages">
      {[...records].reverse().map((record) => (
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
                <button className="sl-button small" type="button" onClick={() => retry(record.rkey)}>Retry</button>
                <button className="sl-button small" type="button" onClick={() => discard(record.rkey)}>Discard</button>
              </span>
            </div>
          )}
        </li>
      ))}
      {records.length === 0 && <li className="sl-empty">{empty}</li>}
    </ul>
  )
}

/** A text box and a Send button; `onSend` gets the trimmed text. */
export function Composer({ onSend }: { onSend: (text: string) => void }) {
  const [draft, setDraft] = useState('')
  return (
    <form
      className="sl-form"
      onSubmit={(event) => {
        event.preventDefault()
        if (!draft.trim()) return
        onSend(draft.trim())
        setDraft('')
      }}
    >
      <input className="sl-input" aria-label="Message" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Say something" />
      <button className="sl-button primary" type="submit">Send</button>
    </form>
  )
}
