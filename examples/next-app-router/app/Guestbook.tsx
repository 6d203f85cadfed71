'use client'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useRecords, watchRecordsUrl } from 'syncline'

interface Entry {
  text: string
}

/** Records: everyone who opens the app sees the same guestbook, live. */
export function Guestbook() {
  const { records, put } = useRecords<Entry>(watchRecordsUrl('com.example.guestbook.entry', { roomUri: 'lobby' }))
  const [text, setText] = useState('')

  const sign = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (text.trim() === '') return
    // Shown at once as pending, kept in the outbox until the server has it.
    void put({ text: text.trim() })
    setText('')
  }

  return (
    <section aria-labelledby="guestbook">
      <h2 id="guestbook">Guestbook</h2>
      <form onSubmit={sign}>
        <input aria-label="Entry" value={text} onChange={(event) => setText(event.target.value)} placeholder="Say hello" />
        <button type="submit">Sign</button>
      </form>
      <ul className="entries">
        {records.map((record) => (
          <li key={record.uri} data-pending={record.optimistic === 'pending' ? '' : undefined}>
            {record.value.text}
          </li>
        ))}
      </ul>
    </section>
  )
}
