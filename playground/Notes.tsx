import { updateText } from '@automerge/automerge/slim'
import { useEffect, useRef } from 'react'
import { useCreateDoc, useDoc, usePresence, useRecords } from 'syncline'
import { colorOf, initialOf } from './people.js'

interface NotesDoc {
  text: string
}
interface NotesPointer {
  url: string
}

/**
 * How a room finds its shared notes: the room holds one record, `com.example.notes/notes`,
 * whose value is the Automerge document's URL. The first window to open a room without one
 * creates the document and writes the record; any window that sees the record follows it.
 * (Two windows racing both create one; the last record written wins, and both follow it
 * before anyone has typed.)
 */
const POINTER_COLLECTION = 'com.example.notes'
const POINTER_DID = 'did:example:rooms'

export function Notes({ room, name, serverUrl }: { room: string; name: string; serverUrl: string }) {
  const pointerUrl = `/xrpc/${POINTER_COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`
  const { records, status } = useRecords<NotesPointer>(pointerUrl)
  const notesUrl = records.find((record) => record.rkey === 'notes')?.value.url
  const createDoc = useCreateDoc<NotesDoc>()
  const creating = useRef(false)

  useEffect(() => {
    if (status !== 'live' || notesUrl !== undefined || creating.current) return
    creating.current = true
    const url = createDoc({ text: '' })
    void fetch(`${serverUrl}/xrpc/${POINTER_COLLECTION}.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: room, rkey: 'notes', did: POINTER_DID, value: { url } }),
    }).finally(() => {
      creating.current = false
    })
  }, [status, notesUrl, createDoc, room, serverUrl])

  const [notes, change, info] = useDoc<NotesDoc>(notesUrl)
  const others = usePresence(notesUrl, { name })

  const saved = !notes ? 'pending' : info.saved.server ? 'server' : info.saved.local ? 'local' : 'pending'
  return (
    <section className="notes" aria-label="Shared notes">
      <header className="notes-header">
        <h3>Notes</h3>
        <span className="saved" data-saved={saved}>
          {!notes ? '' : saved === 'server' ? 'Saved' : saved === 'local' ? 'Saved on this device' : 'Saving…'}
        </span>
      </header>
      <textarea
        aria-label="Notes"
        placeholder={notes ? `Shared with everyone in #${room}. Type away.` : 'Loading…'}
        disabled={!notes}
        value={notes?.text ?? ''}
        onChange={(event) => {
          const text = event.target.value
          // updateText merges with concurrent typing instead of replacing the whole string.
          change((doc) => updateText(doc, ['text'], text))
        }}
      />
      <footer className="presence" aria-label="People here">
        <Person name={name} you />
        {others.map((peer) => (
          <Person key={peer.peerId} name={(peer.state as { name: string }).name} />
        ))}
        <span className="presence-text">{others.length === 0 ? 'Only you here' : `Also here: ${others.map((peer) => (peer.state as { name: string }).name).join(', ')}`}</span>
      </footer>
    </section>
  )
}

function Person({ name, you = false }: { name: string; you?: boolean }) {
  return (
    <span className="person" title={you ? `${name} (you)` : name} style={{ background: colorOf(name) }}>
      {initialOf(name)}
    </span>
  )
}
