import bs58check from 'bs58check'

/** A bs58check encoding of 16 bytes is 25 or so characters; anything much longer is not one. */
const MAX_DOCUMENT_ID_LENGTH = 40

/**
 * An automerge-repo document id: 16 bytes, bs58check-encoded. The check rejects anything
 * else — path tricks such as `../x`, URLs, empty strings — before an id reaches storage.
 * The UUIDv4 version bits are not required: automerge-repo clients accept any 16 bytes.
 */
export function isValidDocumentId(documentId: string): boolean {
  if (documentId.length === 0 || documentId.length > MAX_DOCUMENT_ID_LENGTH) return false
  const bytes = bs58check.decodeUnsafe(documentId)
  // Round-trip too, so that one document has exactly one id (and one storage key).
  return bytes !== undefined && bytes.byteLength === 16 && bs58check.encode(bytes) === documentId
}
