// docs/examples/reference-server.ts
import { createSyncServer, fileStorage, verifyJwt } from 'syncline/server'

// Your rules: here anyone may read, and a room or document listed here is written by its owner only.
const owners = new Map([['general', 'did:example:alice']])
const canAccess = (userId: string, access: 'read' | 'write', resource: string | undefined) =>
  access === 'read' || (resource !== undefined && owners.get(resource) === userId)
const log = (what: string, event: object) => console.log(what, JSON.stringify(event))

const ticketSecret = process.env.TICKET_SECRET  // 64 hex characters; shared by every instance
if (ticketSecret === undefined) throw new Error('Set TICKET_SECRET (openssl rand -hex 32)')

const server = createSyncServer({
  port: 3030,
  storage: fileStorage('./data'),          // or memoryStorage(), or postgresStorage({ connectionString })
  authenticate: verifyJwt({ jwksUrl: 'https://issuer.example/.well-known/jwks.json', issuer: 'https://issuer.example/', audience: 'my-app' }),
  authorize: async ({ access, userId, documentId, room }) => canAccess(userId, access, documentId ?? room),
  ticketSecret,
  limits: { maxConnections: 5000, idleTimeoutMs: 10 * 60_000 },
})
server.onClientConnect((e) => log('connect', e))        // { userId, clientId, transport, remoteAddress }
server.onClientDisconnect((e) => log('disconnect', e))  // { userId, clientId, transport, reason }
server.onSyncRequest((e) => log('op', e))               // { userId, type, documentId | collection + room, status, durationMs, bytes }
await server.start()
// …
await server.close()   // finishes storage writes, then closes every socket (1001) and stream with a reason
