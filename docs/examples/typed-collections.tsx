// docs/examples/typed-collections.tsx
import { z } from 'zod'
import { useRecord, useRecords, watchRecordsUrl } from 'syncline'

const Message = z.object({ text: z.string().max(2000) })
const url = watchRecordsUrl('com.example.message', { roomUri: 'general' })

export function Messages() {
  const { records } = useRecords(url, { schema: Message })           // records[i].value: { text: string }
  return <ul>{records.map((r) => <MessageRow key={r.uri} rkey={r.rkey} did={r.did} />)}</ul>
}

function MessageRow({ rkey, did }: { rkey: string; did: string }) {
  const message = useRecord(url, rkey, did, { schema: Message })      // one record, or undefined
  return <li>{message?.value.text}</li>
}
