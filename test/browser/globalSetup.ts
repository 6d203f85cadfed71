import type { TestProject } from 'vitest/node'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

/** One reference server on loopback for every browser test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
  project.provide('serverUrl', server.url)
  return () => server.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string
  }
}
