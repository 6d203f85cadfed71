import type { Meta, StoryObj } from '@storybook/react-vite'
import type { ReactNode } from 'react'
import { useEffect, useState } from 'react'
import { SyncProvider, SyncStatusBadge, createMemoryCache, useCreateDoc, useDoc, usePresence } from 'syncline'
import { documentsUrl, storyServer } from './storyServer.js'

interface TodoList {
  title: string
  items: Array<{ text: string; done: boolean }>
}
interface Counter {
  count: number
}

/** One browser tab: its own client and its own cache. */
function Tab({ children }: { children: ReactNode }) {
  const [cache] = useState(() => createMemoryCache())
  return (
    <SyncProvider url={documentsUrl()} recordsBaseUrl={storyServer.url} cache={cache}>
      {children}
    </SyncProvider>
  )
}

function Creator<T>({ initial, onCreated }: { initial: T; onCreated: (url: string) => void }) {
  const create = useCreateDoc<T>()
  useEffect(() => {
    onCreated(create(initial))
    // Once per mount: a new document for every story render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  return null
}

function TodoPanel({ url, who }: { url: string; who: string }) {
  const [list, change, info] = useDoc<TodoList>(url)
  const [draft, setDraft] = useState('')
  const others = usePresence(url, { name: who })
  if (!list) return <div className="sl-card"><p className="sl-muted">{info.docStatus === 'unavailable' ? 'No such list' : 'Loading…'}</p></div>
  return (
    <div className="sl-card" style={{ width: 320 }}>
      <div className="sl-header">
        <h3>{list.title}</h3>
        <SyncStatusBadge />
      </div>
      <p className="sl-muted">{who} · also here: {others.map((peer) => (peer.state as { name: string }).name).join(', ') || 'nobody'}</p>
      <ul className="sl-list">
        {list.items.map((item, index) => (
          <li key={index}>
            <input
              type="checkbox"
              aria-label={item.text}
              checked={item.done}
              onChange={() => change((doc) => void (doc.items[index]!.done = !doc.items[index]!.done))}
            />
            <span style={{ flex: 1, textDecoration: item.done ? 'line-through' : 'none' }}>{item.text}</span>
            <button className="sl-button" type="button" aria-label={`Remove ${item.text}`} onClick={() => change((doc) => void doc.items.splice(index, 1))}>×</button>
          </li>
        ))}
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
        <input aria-label="New item" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="Add an item" />
        <button className="sl-button primary" type="submit">Add</button>
      </form>
      <p className="sl-muted">{info.saved.server ? 'Saved on the server' : info.saved.local ? 'Saved on this device' : 'Saving…'}</p>
    </div>
  )
}

function CounterPanel({ url, label }: { url: string; label: string }) {
  const [count, change, info] = useDoc<Counter, number>(url, { selector: (doc) => doc.count })
  return (
    <div className="sl-card" style={{ textAlign: 'center' }}>
      <h3>{label}</h3>
      <div className="sl-big" aria-label={`${label} count`}>{count ?? '…'}</div>
      <div className="sl-row" style={{ justifyContent: 'center' }}>
        <button className="sl-button" type="button" disabled={count === undefined} onClick={() => change((doc) => void (doc.count -= 1))}>−1</button>
        <button className="sl-button primary" type="button" disabled={count === undefined} onClick={() => change((doc) => void (doc.count += 1))}>+1</button>
        <button className="sl-button" type="button" disabled={count === undefined} onClick={() => { for (let i = 0; i < 10; i++) change((doc) => void (doc.count += 1)) }}>+10</button>
      </div>
      <p className="sl-muted">{info.status} · {info.saved.server ? 'saved on the server' : 'not yet on the server'}</p>
    </div>
  )
}

interface SharedProps {
  /** How many independent clients (tabs) edit the document side by side. */
  panels: number
}

function SharedTodo({ panels }: SharedProps) {
  const [url, setUrl] = useState<string>()
  return (
    <div className="sl-row">
      <Tab>{url === undefined && <Creator<TodoList> initial={{ title: 'Launch checklist', items: [{ text: 'Write the docs', done: true }, { text: 'Record the demo', done: false }] }} onCreated={setUrl} />}</Tab>
      {url !== undefined && Array.from({ length: panels }, (_, i) => <Tab key={i}><TodoPanel url={url} who={`tab ${i + 1}`} /></Tab>)}
    </div>
  )
}

function SharedCounter({ panels }: SharedProps) {
  const [url, setUrl] = useState<string>()
  return (
    <div className="sl-row">
      <Tab>{url === undefined && <Creator<Counter> initial={{ count: 0 }} onCreated={setUrl} />}</Tab>
      {url !== undefined && Array.from({ length: panels }, (_, i) => <Tab key={i}><CounterPanel url={url} label={`Panel ${String.fromCharCode(65 + i)}`} /></Tab>)}
    </div>
  )
}

const meta = {
  title: 'Documents/Collaboration',
  component: SharedTodo,
  args: { panels: 2 },
  argTypes: { panels: { control: { type: 'range', min: 1, max: 4 } } },
  parameters: {
    docs: {
      description: {
        component:
          '`useDoc` and `useCreateDoc` on Automerge documents through the reference server. Each panel is its own client with its own cache, as two browser tabs would be; edits apply locally at once and reach the other panels in a few milliseconds. Presence (`usePresence`) shows who else is there.',
      },
    },
  },
} satisfies Meta<typeof SharedTodo>

export default meta
type Story = StoryObj<typeof meta>

/** A collaborative todo list: check, add and remove items in one panel and watch the other. */
export const TodoList: Story = {}

/** A shared counter edited from two panels at once; concurrent increments all count. */
export const SharedCounterTwoPanels: Story = { render: (args) => <SharedCounter {...args} /> }
