/** A record as the server stores and serves it (the watchRecords `record` object). */
export interface StoredRecord {
  uri: string
  did: string
  rkey: string
  collection: string
  value: unknown
  cid: string
  /** When this version was written, in Unix microseconds. */
  time_us: number
  /** When the server first stored this record key, in Unix milliseconds. */
  indexed_at: number
}

/** Records live in rooms of a collection: one watchRecords stream watches one scope. */
export interface RecordScope {
  collection: string
  room: string
}

/** Where the documents half keeps document binaries (`StorageProvider` is one). */
export interface DocStorage {
  /** The stored binary of a document (Automerge.save or concatenated save+incremental chunks), or undefined. */
  loadDoc(documentId: string): Promise<Uint8Array | undefined>
  /** Replaces the stored binary of a document with a full save. */
  saveDoc(documentId: string, binary: Uint8Array): Promise<void>
}

/**
 * Where the reference server keeps records and documents. Implementations must make a write
 * durable before its promise resolves. The server acknowledges a record write, or a
 * document change to its author, only afterwards; relaying a change to other peers never
 * waits for the disk.
 */
export interface StorageProvider {
  listRecords(scope: RecordScope): Promise<StoredRecord[]>
  getRecord(scope: RecordScope, did: string, rkey: string): Promise<StoredRecord | undefined>
  putRecord(scope: RecordScope, record: StoredRecord): Promise<void>
  /** Resolves false when there was nothing to delete. */
  deleteRecord(scope: RecordScope, did: string, rkey: string): Promise<boolean>
  /** The stored binary of an Automerge document, or undefined. */
  loadDoc(documentId: string): Promise<Uint8Array | undefined>
  /** Replaces the stored binary of a document with a full save. */
  saveDoc(documentId: string, binary: Uint8Array): Promise<void>
  /** Finishes pending writes and releases files. */
  close(): Promise<void>
}

export const recordKey = (did: string, rkey: string): string => `${did}\n${rkey}`
export const scopeKey = ({ collection, room }: RecordScope): string => `${collection}\n${room}`
