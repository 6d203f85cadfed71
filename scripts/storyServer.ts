// The stories' reference server (memory storage) on 127.0.0.1:3031, and a control endpoint on
// :3032 whose POST /stop and POST /start let the connection stories stop and restart it.
// Run by `npm run storybook` next to Storybook itself.
import { createServer } from 'node:http'
import { createSyncServer, memoryStorage } from '../src/server/index.js'

const port = Number(process.env.SYNCLINE_STORY_PORT ?? 3031)
const controlPort = Number(process.env.SYNCLINE_STORY_CONTROL_PORT ?? 3032)
// One storage for every restart: stopping the server must not lose what the stories wrote.
const storage = memoryStorage()
const keepStorageOpen = { ...storage, close: async () => {} }
let server: ReturnType<typeof createSyncServer> | null = null

async function start(): Promise<void> {
  if (server) return
  server = createSyncServer({ port, storage: keepStorageOpen })
  await server.start()
  console.log(`stories' server listening on ${server.url}`)
}

async function stop(): Promise<void> {
  const running = server
  server = null
  await running?.close()
  console.log("stories' server stopped")
}

const control = createServer((req, res) => {
  const headers = { 'access-control-allow-origin': '*', 'content-type': 'application/json' }
  if (req.method === 'OPTIONS') return void res.writeHead(204, { ...headers, 'access-control-allow-methods': 'POST' }).end()
  const action = req.url === '/stop' ? stop : req.url === '/start' ? start : null
  if (req.method !== 'POST' || !action) return void res.writeHead(404, headers).end('{"error":"NotFound"}')
  action().then(
    () => res.writeHead(200, headers).end(JSON.stringify({ running: server !== null })),
    (error: unknown) => res.writeHead(500, headers).end(JSON.stringify({ error: String(error) })),
  )
})

await start()
control.listen(controlPort, '127.0.0.1')
const shutdown = (): void => {
  control.close()
  void stop().finally(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
