import { useState } from 'react'
import type { FormEvent } from 'react'
import { useDoc } from 'syncline'
import type { List } from './useListUrl.ts'
import { useListUrl } from './useListUrl.ts'

/** Documents: an Automerge list whose URL is in the page address. */
export function SharedList() {
  const url = useListUrl()
  return (
    <section aria-labelledby="shared-list">
      <h2 id="shared-list">Shared list</h2>
      {url === undefined ? <p>Creating a list…</p> : <ListEditor url={url} />}
    </section>
  )
}

function ListEditor({ url }: { url: string }) {
  const [list, change, info] = useDoc<List>(url)
  const [item, setItem] = useState('')
  if (list === undefined) return <p>{info.docStatus === 'unavailable' ? 'Nobody has this list.' : 'Loading…'}</p>

  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (item.trim() === '') return
    // Automerge merges concurrent pushes: two windows adding at once both keep their items.
    change((doc) => {
      doc.items.push(item.trim())
    })
    setItem('')
  }

  return (
    <>
      <form onSubmit={add}>
        <input aria-label="Item" value={item} onChange={(event) => setItem(event.target.value)} placeholder="Add an item" />
        <button type="submit">Add</button>
      </form>
      <ol className="items">
        {list.items.map((text, index) => (
          <li key={index}>{text}</li>
        ))}
      </ol>
      <p className="saved" data-saved={info.saved.server ? 'server' : info.saved.local ? 'local' : 'none'}>
        {info.saved.server ? 'Saved to the server' : info.saved.local ? 'Saved on this device' : 'Saving…'}
      </p>
      <p>
        Open this address in another window to edit the same list: <code>{location.href}</code>
      </p>
    </>
  )
}
