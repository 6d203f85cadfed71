export { createDocSyncService, memoryDocStorage } from './docSyncService.js'
export type { DocStorage, DocSyncService, DocSyncServiceOptions, SyncMessageEvent } from './docSyncService.js'
export type { SyncOutcome } from './syncedDocument.js'
export { isValidDocumentId } from '../../wire/documentId.js'
