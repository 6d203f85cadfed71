// docs/examples/load-older.tsx
import { useState } from 'react'
import { useRecords, watchRecordsUrl } from 'syncline'

type Message = { text: string }
const url = watchRecordsUrl('com.example.message', { roomUri: 'general' })

export function History() {
  const { records, loadOlder } = useRecords<Message>(url)
  const [hasMore, setHasMore] = useState(true)
  return (
    <>
      <button disabled={!hasMore} onClick={() => void loadOlder().then(setHasMore)}>Older messages</button>
      {records.map((r) => <p key={r.uri}>{r.value.text}</p>)}
    </>
  )
}
