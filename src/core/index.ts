// The framework-agnostic core. Nothing below src/core imports React.
export { SyncError, isSyncError } from './errors.js'
export type { SyncErrorCode } from './errors.js'
export type { WaitOptions } from './boundedWait.js'
export { backoffDelay, transition, initialMachineState } from './machine.js'
export type { SyncStatus, BackoffOptions, MachineState, MachineEvent } from './machine.js'
export { defaultEnvironment } from './environment.js'
export type { Environment } from './environment.js'
export { createRecordStore, WatchRecordStore } from './records/recordStore.js'
export type { RecordSaveState } from './records/recordStore.js'
export { watchRecordsUrl } from './records/watchRecordsUrl.js'
export type { WatchRecordsParams } from './records/watchRecordsUrl.js'
export type {
  WatchRecord,
  WatchEvent,
  RecordSnapshot,
  RecordStore,
  RecordStoreOptions,
  OptimisticInput,
} from './records/types.js'
export { contrailWriter, referenceWriter } from './records/recordWriter.js'
export type { ContrailWriterOptions, RecordWriter, RecordWriteRequest, RecordWriteResult } from './records/recordWriter.js'
export type { OutboxEntry } from './cache/types.js'
export { newTid } from '../wire/tid.js'
export { createMemoryCache } from './cache/memoryCache.js'
export { createIndexedDBCache } from './cache/indexedDBCache.js'
export type { IndexedDBCacheOptions } from './cache/indexedDBCache.js'
export type { RecordCache } from './cache/types.js'
export { SyncClient, createSyncClient } from './client.js'
export { watchRecordSupport } from './records/recordSupport.js'
export type { RecordSupport, RecordStoreContext } from './records/recordSupport.js'
export type { SyncClientOptions, ClearLocalDataOptions, RecordStoreRequest, SyncStatusSummary } from './client.js'
export type { SyncEvent, SyncEventListener, SyncEventListenerOptions, SyncConnectionKind } from './syncEvents.js'
export type { DocCache, DocCacheChunk } from './cache/types.js'
export { createDocConnection, AutomergeDocConnection } from './docs/docConnection.js'
export { generateDocumentId, isValidDocumentId, parseDocumentUrl, toDocumentUrl } from './docs/documentId.js'
export type {
  DocConnection,
  DocConnectionOptions,
  DocConnectionSnapshot,
  DocSnapshot,
  DocStatus,
  DocStore,
  EphemeralMeta,
} from './docs/types.js'
export { automergeDocSupport } from './docs/docSupport.js'
export type { DocSupport } from './docs/docSupport.js'
export { DocPresence } from './docs/presence.js'
export type { PresenceOptions, PeerPresence } from './docs/presence.js'
