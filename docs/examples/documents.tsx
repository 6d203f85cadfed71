// docs/examples/documents.tsx
import { SyncProvider, SyncStatusBadge, useCreateDoc, useDoc } from 'syncline'

interface Todos { title: string; items: { text: string; done: boolean }[] }

function TodoList({ url }: { url: string }) {
  const [doc, change, info] = useDoc<Todos>(url)
  if (!doc) return <p>{info.docStatus === 'unavailable' ? 'No such list' : 'Loading…'}</p>
  return (
    <>
      <h2>{doc.title} {info.saved.server ? '✓' : info.saved.local ? '(saved on this device)' : '…'}</h2>
      {doc.items.map((item, index) => <TodoRow key={index} url={url} index={index} />)}
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

export const App = () => (
  <SyncProvider url="ws://127.0.0.1:3030">   {/* any automerge-repo sync server */}
    <SyncStatusBadge /><TodoList url="automerge:…" />
  </SyncProvider>
)
