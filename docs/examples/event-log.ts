// docs/examples/event-log.ts
import { createSyncClient } from 'syncline/core'
import type { SyncEvent } from 'syncline/core'

const client = createSyncClient({ url: 'wss://sync.example.com' })

const stop = client.onEvent((event: SyncEvent) => {
  if (event.type === 'transition' && event.error !== null) {
    console.warn(`${event.connection}: ${event.from} → ${event.to} (${event.error.code}: ${event.error.message}), retry in ${event.retryInMs ?? '-'} ms`)
  }
})

export { stop }
