// docs/examples/public-url.ts
import { createSyncServer } from 'syncline/server'

const server = createSyncServer({ publicUrl: 'https://sync.example.com' })  // or, behind a proxy that sets X-Forwarded-*: { trustProxy: true }
await server.start()
