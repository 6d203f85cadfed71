// docs/examples/reference-server.ts
import { createSyncServer, fileStorage, verifyJwt } from 'syncline/server'

const server = createSyncServer({
  port: 3030,
  storage: fileStorage('./data'),          // or memoryStorage(), or postgresStorage({ connectionString })
  authenticate: verifyJwt({ jwksUrl: 'https://issuer.example/.well-known/jwks.json', issuer: 'https://issuer.example/', audience: 'my-app' }),
  authorize: async ({ type, access, userId, documentId, collection, room }) => canAccess(userId, access, documentId ?? room),
  ticketSecret: process.env.TICKET_SECRET,  // 64 hex characters; shared by every instance
  limits: { maxConnections: 5000, idleTimeoutMs: 10 * 60_000 },
})
server.onClientConnect((e) => log('connect', e))        // { userId, clientId, transport, remoteAddress }
server.onClientDisconnect((e) => log('disconnect', e))  // { userId, clientId, transport, reason }
server.onSyncRequest((e) => log('op', e))               // { userId, type, documentId | collection + room, status, durationMs, bytes }
await server.start()
// …
await server.close()   // finishes storage writes, then closes every socket (1001) and stream with a reason
