import type { SharedDocumentsOptions } from './sharedDocuments.js'
import { SharedDocuments } from './sharedDocuments.js'

/**
 * The document half of a `SyncClient`, handed to it by whoever uses documents (`useDoc`,
 * `useCreateDoc`, or a script passing `automergeDocSupport`). The client never imports it
 * itself, so an app that only uses records bundles none of the document code.
 */
export interface DocSupport {
  createDocuments(options: SharedDocumentsOptions): SharedDocuments
}

/** Documents over the automerge-repo sync protocol, on `@automerge/automerge`. */
export const automergeDocSupport: DocSupport = {
  createDocuments: (options) => new SharedDocuments(options),
}
