// docs/examples/records-api.ts
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
store.addOptimistic({ rkey, did, value })   // shown as optimistic: 'pending'
store.markFailed(rkey, error, did)          // optimistic: 'failed'
store.removeOptimistic(rkey, did)           // roll back
await store.put({ text: 'hi' })             // durable outbox: see "Writing records"
await store.loadOlder()                     // the next older page; false when there is none
await store.stop()                          // flushes the cache and the outbox
