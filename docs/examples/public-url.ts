// docs/examples/public-url.ts
createSyncServer({ publicUrl: 'https://sync.example.com' })  // or, behind a proxy that sets X-Forwarded-*: { trustProxy: true }
