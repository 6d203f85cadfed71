/**
 * One reference-server instance in its own process, for the cross-instance case: storage in a
 * shared PostgreSQL when BENCH_POSTGRES_URL is set, else a file store in BENCH_DATA_DIR shared
 * by the instances (documents merge on write), and fan-out through Redis at BENCH_REDIS_URL.
 */
import type { StorageProvider } from '../../src/server/index.js'
import { createSyncServer, fileStorage, postgresStorage, redisPubSub } from '../../src/server/index.js'
import { serveParent } from './child.js'

const postgresUrl = process.env.BENCH_POSTGRES_URL
function sharedStorage(): StorageProvider {
  if (postgresUrl) return postgresStorage({ connectionString: postgresUrl, tablePrefix: 'bench_' })
  // Two processes on one directory: document writes append (as postgresStorage's do), so
  // neither instance overwrites the other's changes.
  const base = fileStorage(process.env.BENCH_DATA_DIR!)
  return {
    ...base,
    async saveDoc(documentId, binary) {
      const existing = await base.loadDoc(documentId)
      await base.saveDoc(documentId, existing === undefined ? binary : new Uint8Array([...existing, ...binary]))
    },
  }
}

const pubsub = redisPubSub({ url: process.env.BENCH_REDIS_URL!, log: () => {} })
const documentFanout = process.env.BENCH_DOCUMENT_FANOUT === 'notice' ? 'notice' : 'changes'
const server = createSyncServer({ port: 0, storage: sharedStorage(), pubsub, documentFanout, onError: () => {} })
await server.start()

process.on('SIGTERM', () => {
  void server.close().then(() => pubsub.close()).finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
})

serveParent({ url: server.url }, {})
