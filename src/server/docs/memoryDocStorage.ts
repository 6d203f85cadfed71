import type { DocStorage } from '../storage/types.js'

/** Keeps document binaries in process memory: for tests and the server's memory mode. */
export function memoryDocStorage(): DocStorage {
  const docs = new Map<string, Uint8Array>()
  return {
    async loadDoc(documentId) {
      // Copies in and out: callers may reuse or mutate their buffers.
      return docs.get(documentId)?.slice()
    },
    async saveDoc(documentId, binary) {
      docs.set(documentId, binary.slice())
    },
  }
}
