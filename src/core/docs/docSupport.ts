import type { DocSupport } from '../sharedDocuments.js'
import { createDocConnection } from './docConnection.js'
import { parseDocumentUrl } from './documentId.js'

/**
 * Documents over the automerge-repo sync protocol, for `SyncClient.getDocStore` and
 * `createDoc`. Passed in rather than imported by the client so records-only apps skip it.
 */
export const automergeDocSupport: DocSupport = {
  createConnection: (options) => createDocConnection(options),
  parseDocumentUrl,
}
