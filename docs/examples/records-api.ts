// docs/examples/records-api.ts
import { createIndexedDBCache, createRecordStore, newTid } from 'syncline/core'

type Message = { text: string }
const room = { collection: 'com.example.message', roomUri: 'general' }
const getTicket = async () => {  // a short-lived ticket for this one watch (see "How credentials travel")
  const response = await fetch('http://127.0.0.1:3030/xrpc/realtime.ticket', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer <your token>' },
    body: JSON.stringify(room),
  })
  return ((await response.json()) as { ticket: string }).ticket
}

const store = createRecordStore<Message>({
  url: '/xrpc/com.example.message.watchRecords?roomUri=general',
  baseUrl: 'http://127.0.0.1:3030',  // default: location.origin
  transport: 'sse',                  // or 'ws'
  cache: createIndexedDBCache(),     // paints before the network answers
  mintTicket: () => getTicket(),     // called on every (re)connect
  allowedSocketOrigins: ['wss://realtime.example.com'],  // where a ws handshake may send the ticket; default: the endpoint's origin only
})
store.subscribe(() => console.log(store.getSnapshot()))  // { records, status, error, saved }
store.start()

// Optimistic entries by hand, for writes you send yourself:
const rkey = newTid()
const did = 'did:example:alice'
store.addOptimistic({ rkey, did, value: { text: 'hi' } })  // shown as optimistic: 'pending'
store.markFailed(rkey, new Error('refused'), did)           // optimistic: 'failed'
store.removeOptimistic(rkey, did)                           // roll back

await store.put({ text: 'hi' })             // durable outbox: see "Writing records"
await store.loadOlder()                     // the next older page; false when there is none
await store.stop()                          // flushes the cache and the outbox
