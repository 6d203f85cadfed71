// docs/examples/writing-records.tsx
import { useRecords } from 'syncline'

type Message = { text: string }

export function Chat({ room }: { room: string }) {
  const { records, put, delete: remove, retry, discard, saved } = useRecords<Message>(
    `/xrpc/com.example.message.watchRecords?roomUri=${encodeURIComponent(room)}`,
  )
  return (
    <>
      <button onClick={() => void put({ text: 'hello' })}>Send</button>
      {records.map((r) => (
        <p key={r.uri}>
          {r.value.text} {r.optimistic === 'pending' && '(sending)'}
          {r.optimistic === 'failed' && (
            <>
              {r.optimisticError?.message} <button onClick={() => retry(r.rkey)}>Retry</button>
              <button onClick={() => discard(r.rkey)}>Discard</button>
            </>
          )}
          <button onClick={() => void remove(r.rkey)}>Delete</button>
        </p>
      ))}
      {!saved.server && <small>{saved.local ? 'Saved on this device' : 'Saving…'}</small>}
    </>
  )
}
