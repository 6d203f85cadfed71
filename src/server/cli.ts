#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { fileStorage } from './storage/fileStorage.js'
import { memoryStorage } from './storage/memoryStorage.js'
import { redisPubSub } from './pubsub/redisPubSub.js'
import { postgresStorage } from './storage/postgresStorage.js'
import { createSyncServer } from './syncServer.js'

const USAGE = `Usage: syncline serve [options]

Starts the syncline reference server on one port, with embedded storage:
Automerge documents over the automerge-repo sync protocol (WebSocket on /), and
watchRecords collections over HTTP, SSE and WebSocket (/xrpc/...).

Options (each also read from the environment variable shown; a flag wins):
  --port <n>              SYNCLINE_PORT           port to listen on (default 3030; 0 picks a free one)
  --host <addr>           SYNCLINE_HOST           address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --data <dir>            SYNCLINE_DATA           directory of the embedded file storage (default ./.syncline-data)
  --memory                                        keep everything in memory instead (lost on exit)
  --postgres <url>        SYNCLINE_POSTGRES_URL   store in PostgreSQL instead (postgres://user:pass@host/db;
                                                  needs the pg package); several instances may share it
  --redis <url>           SYNCLINE_REDIS_URL      fan writes out to the other instances through Redis
                                                  (redis://host:port; needs the ioredis package)
  --ticket-secret <hex>   SYNCLINE_TICKET_SECRET  32-byte secret for watch tickets (64 hex characters), so
                                                  tickets stay valid across restarts and instances;
                                                  random per process otherwise
  --public-url <url>      SYNCLINE_PUBLIC_URL     the address clients reach the server at (https://sync.example.com),
                                                  the base of the wsUrl handshakes return (default: the Host header)
  --trust-proxy           SYNCLINE_TRUST_PROXY=1  take scheme and host from X-Forwarded-Proto/-Host (only behind
                                                  a proxy that sets them)
  -h, --help                                      show this help`

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        memory: { type: 'boolean' },
        'ticket-secret': { type: 'string' },
        postgres: { type: 'string' },
        redis: { type: 'string' },
        'public-url': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    console.error(USAGE)
    return 2
  }
  const env = process.env
  const portText = values.port ?? env.SYNCLINE_PORT
  const port = portText === undefined || portText === '' ? 3030 : Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, not "${portText}"`)
    return 2
  }
  const dataDir = values.data ?? (env.SYNCLINE_DATA || './.syncline-data')
  const secret = values['ticket-secret'] ?? env.SYNCLINE_TICKET_SECRET
  const postgresUrl = values.postgres ?? (env.SYNCLINE_POSTGRES_URL || undefined)
  const redisUrl = values.redis ?? (env.SYNCLINE_REDIS_URL || undefined)
  if (postgresUrl !== undefined && values.memory) {
    console.error('--memory and --postgres exclude each other')
    return 2
  }
  const publicUrl = values['public-url'] ?? (env.SYNCLINE_PUBLIC_URL || undefined)
  const trustProxy = values['trust-proxy'] ?? env.SYNCLINE_TRUST_PROXY === '1'
  const pubsub = redisUrl === undefined ? undefined : redisPubSub({ url: redisUrl })
  const server = createSyncServer({
    port,
    host: values.host ?? (env.SYNCLINE_HOST || '127.0.0.1'),
    storage: values.memory ? memoryStorage() : postgresUrl !== undefined ? postgresStorage({ connectionString: postgresUrl }) : fileStorage(dataDir),
    ...(secret ? { ticketSecret: secret } : {}),
    ...(pubsub !== undefined && { pubsub }),
    ...(publicUrl !== undefined && { publicUrl }),
    trustProxy,
  })
  await server.start()
  const where = values.memory ? 'memory storage' : postgresUrl !== undefined ? `data in PostgreSQL at ${new URL(postgresUrl).host}` : `data in ${dataDir}`
  console.log(`syncline server listening on ${server.url} (${where}${redisUrl !== undefined ? `, fan-out through Redis at ${new URL(redisUrl).host}` : ''})`)

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  console.log('syncline server shutting down…')
  await server.close()
  await pubsub?.close()
  return 0
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  },
)
