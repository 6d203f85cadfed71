import type { RecordScope, StorageProvider, StoredRecord } from './types.js'
import { recordKey, scopeKey } from './types.js'

/** Keeps everything in process memory: for tests, demos and `syncline serve --memory`. */
export function memoryStorage(): StorageProvider {
  const rooms = new Map<string, Map<string, StoredRecord>>()
  const docs = new Map<string, Uint8Array>()
  const room = (scope: RecordScope): Map<string, StoredRecord> => {
    const key = scopeKey(scope)
    let records = rooms.get(key)
    if (!records) rooms.set(key, (records = new Map()))
    return records
  }
  return {
    async listRecords(scope) {
      return [...room(scope).values()]
    },
    async getRecord(scope, did, rkey) {
      return room(scope).get(recordKey(did, rkey))
    },
    async putRecord(scope, record) {
      room(scope).set(recordKey(record.did, record.rkey), record)
    },
    async deleteRecord(scope, did, rkey) {
      return room(scope).delete(recordKey(did, rkey))
    },
    async loadDoc(documentId) {
      const binary = docs.get(documentId)
      return binary && binary.slice()
    },
    async saveDoc(documentId, binary) {
      // Copy: the caller may reuse its buffer.
      docs.set(documentId, binary.slice())
    },
    async close() {},
  }
}
