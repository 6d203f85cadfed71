// docs/examples/contrail-writer.ts
import { contrailWriter, createRecordStore, createSyncClient } from 'syncline/core'

const client = createSyncClient({ recordsBaseUrl: 'https://contrail.example.com', writer: contrailWriter({ namespace: 'com.example' }) })
const store = createRecordStore<{ text: string }>({
  url: '/xrpc/com.example.message.watchRecords?spaceUri=at%3A%2F%2Fdid%3Aexample%3Aowner%2Fspace%2F1',
  baseUrl: 'https://contrail.example.com',
  writer: contrailWriter({ namespace: 'com.example' }),
  token: () => Promise.resolve('a-service-token'),
})
store.start()
const sent = await store.put({ text: 'hello' })   // { uri, did, rkey, value, … }
await store.delete(sent.rkey)
void client
