// docs/examples/documents.tsx
import { useState } from 'react'
import { SyncProvider, SyncStatusBadge, isValidDocumentId, useCreateDoc, useDoc } from 'syncline'

interface Todos { title: string; items: { text: string; done: boolean }[] }

function TodoList({ url }: { url: string }) {
  const [doc, change, info] = useDoc<Todos>(url)
  if (!doc) return <p>{info.docStatus === 'unavailable' ? 'No such list' : 'Loading…'}</p>
  return (
    <>
      <h2>{doc.title} {info.saved.server ? '✓' : info.saved.local ? '(saved on this device)' : '…'}</h2>
      {doc.items.map((_item, index) => <TodoRow key={index} url={url} index={index} />)}
      <button onClick={() => change((d) => { d.items.push({ text: 'new', done: false }) })}>Add</button>
    </>
  )
}

function TodoRow({ url, index }: { url: string; index: number }) {
  // Re-renders only when this item changes: Automerge keeps unchanged objects identical.
  const [item, change] = useDoc<Todos, Todos['items'][number] | undefined>(url, { selector: (d) => d.items[index] })
  return <label><input type="checkbox" checked={item?.done ?? false} onChange={() => change((d) => { d.items[index]!.done = !d.items[index]!.done })} />{item?.text}</label>
}

function NewList({ onCreated }: { onCreated: (url: string) => void }) {
  const createDoc = useCreateDoc<Todos>()
  return <button onClick={() => onCreated(createDoc({ title: 'Groceries', items: [] }))}>New list</button>
}

/** The list the page address names (`#automerge:…`), if it names a valid one. */
function listInAddress(): string | undefined {
  const url = decodeURIComponent(location.hash.slice(1))
  return isValidDocumentId(url.replace(/^automerge:/, '')) ? url : undefined
}

function Lists() {
  // The address carries the list's URL: open the same address in another window (or send it) to share the list.
  const [url, setUrl] = useState(listInAddress)
  if (url === undefined) return <NewList onCreated={(created) => { location.hash = created; setUrl(created) }} />
  return <><TodoList url={url} /><p>Share this list: <code>{location.href}</code></p></>
}

export const App = () => (
  <SyncProvider url="ws://127.0.0.1:3030">   {/* any automerge-repo sync server */}
    <SyncStatusBadge /><Lists />
  </SyncProvider>
)
