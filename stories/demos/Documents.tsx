import { useState } from 'react'
import { SyncStatusBadge, useDoc, usePresence } from 'syncline'
import { DocCreator, Tab } from '../kit.js'

interface TodoList {
  title: string
  items: Array<{ text: string; done: boolean }>
}

function TodoPanel({ url, who }: { url: string; who: string }) {
  const [list, change, info] = useDoc<TodoList>(url)
  const [draft, setDraft] = useState('')
  const others = usePresence(url, { name: who })
  if (!list) return <div className="sl-card sl-todo"><p className="sl-muted">{info.docStatus === 'unavailable' ? 'No such list' : 'Loading…'}</p></div>
  return (
    <div className="sl-card sl-todo">
      <div className="sl-header">
        <h3>{list.title}</h3>
        <SyncStatusBadge />
      </div>
      <div className="sl-people" aria-label="People here">
        <span className="sl-chip me">{who} (you)</span>
        {others.map((peer) => (
          <span key={peer.peerId} className="sl-chip">{(peer.state as { name: string }).name}</span>
        ))}
      </div>
      <ul className="sl-list sl-todo-items">
        {list.items.map((item, index) => (
          <li key={index} className={item.done ? 'done' : ''}>
            <input
              type="checkbox"
              aria-label={item.text}
              checked={item.done}
              onChange={() => change((doc) => void (doc.items[index]!.done = !doc.items[index]!.done))}
            />
            <span style={{ flex: 1 }}>{item.text}</span>
            <button className="sl-icon-button" type="button" aria-label={`Remove ${item.text}`} onClick={() => change((doc) => void doc.items.splice(index, 1))}>×</button>
          </li>
        ))}
        {list.items.length === 0 && <li className="sl-empty">Nothing left to do.</li>}
      </ul>
      <form
        className="sl-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (!draft.trim()) return
          change((doc) => void doc.items.push({ text: draft.trim(), done: false }))
          setDraft('')
        }}
      >
        <input className="sl-input" aria-label="New item" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Add an item" />
        <button className="sl-button primary" type="submit">Add</button>
      </form>
    </div>
  )
}

interface SharedProps {
  /** How many independent clients (tabs) edit the list side by side. */
  panels: number
}

export function SharedTodo({ panels }: SharedProps) {
  const [url, setUrl] = useState<string>()
  return (
    <div className="sl-row">
      <Tab>{url === undefined && <DocCreator<TodoList> initial={{ title: 'Launch checklist', items: [{ text: 'Write the docs', done: true }, { text: 'Record the demo', done: false }] }} onCreated={setUrl} />}</Tab>
      {url !== undefined && Array.from({ length: panels }, (_, i) => <Tab key={i}><TodoPanel url={url} who={`tab ${i + 1}`} /></Tab>)}
    </div>
  )
}
