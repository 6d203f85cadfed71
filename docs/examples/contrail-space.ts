// docs/examples/contrail-space.ts
import { contrailWriter, createRecordStore, watchRecordsUrl } from 'syncline/core'

const space = createRecordStore<{ text: string }>({
  url: watchRecordsUrl('com.example.message', { spaceUri: 'at://did:example:owner/com.example.space/1' }),
  baseUrl: 'https://contrail.example.com',
  transport: 'ws',
  mintTicket: async () => (await (await fetch('/api/watch-ticket')).json() as { ticket: string }).ticket,
  writer: contrailWriter({ namespace: 'com.example' }),
  token: () => Promise.resolve('a-service-token'),
})
space.start()
