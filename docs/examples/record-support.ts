// docs/examples/record-support.ts
import { watchRecordSupport } from 'syncline/core'
import type { SyncClient } from 'syncline/core'

export const openMessages = (client: SyncClient) =>
  client.getRecordStore('/xrpc/com.example.message.watchRecords?roomUri=room1', {}, watchRecordSupport)
