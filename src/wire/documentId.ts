import { decodeBase58Check, encodeBase58Check } from './base58check.js'

/**
 * automerge-repo document ids, for both sides: 16 bytes, Base58Check-encoded (DESIGN §7).
 * The server checks every id against this before it reaches storage, so `../x`, URLs and
 * empty strings never become storage keys; the client checks ids before it opens them.
 */

/** The scheme of automerge-repo document URLs: `automerge:<documentId>`. */
export const DOCUMENT_URL_PREFIX = 'automerge:'

/** A bs58check encoding of 16 bytes is 22–26 characters; anything much longer is not an id. */
const MAX_DOCUMENT_ID_LENGTH = 40

/**
 * A new document id as automerge-repo makes them: 16 random bytes with the UUIDv4 version
 * and variant bits set (older servers reject anything else), bs58check-encoded.
 */
export function generateDocumentId(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40 // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // RFC 4122 variant
  return encodeBase58Check(bytes)
}

/**
 * Whether `documentId` is a bare document id: bs58check (checksum verified) of exactly
 * 16 bytes, in its one canonical spelling (so one document has one id and one storage
 * key). Does not require the UUIDv4 bits, because automerge-repo accepts any 16 bytes
 * from other peers.
 */
export function isValidDocumentId(documentId: unknown): documentId is string {
  if (typeof documentId !== 'string' || documentId.length === 0 || documentId.length > MAX_DOCUMENT_ID_LENGTH) return false
  if (knownValid.has(documentId)) return true
  const bytes = decodeBase58Check(documentId)
  const valid = bytes !== undefined && bytes.byteLength === 16 && encodeBase58Check(bytes) === documentId
  if (valid) {
    // A peer that names ever new ids only empties the set now and then.
    if (knownValid.size >= KNOWN_VALID_IDS) knownValid.clear()
    knownValid.add(documentId)
  }
  return valid
}

/**
 * Ids already checked. Every sync message names its document, and the check (base58 both
 * ways and four SHA-256 rounds) took some 70 µs: on a relay, twice per edit. Only valid ids
 * are kept, so a bad id is checked every time.
 */
const knownValid = new Set<string>()
const KNOWN_VALID_IDS = 1024

export type DocumentUrlParse = { ok: true; documentId: string; url: string } | { ok: false; reason: string }

/**
 * Reads `automerge:<id>` or a bare `<id>`. A URL with heads (`#…`, a read-only view) is
 * refused, as is anything that is not a valid id; `reason` says which, for people.
 */
export function parseDocumentUrlText(idOrUrl: unknown): DocumentUrlParse {
  if (typeof idOrUrl !== 'string') {
    return { ok: false, reason: `A document id or "automerge:" URL must be a string, not ${typeof idOrUrl}` }
  }
  const bare = idOrUrl.startsWith(DOCUMENT_URL_PREFIX) ? idOrUrl.slice(DOCUMENT_URL_PREFIX.length) : idOrUrl
  if (bare.includes('#')) {
    return { ok: false, reason: `"${shorten(idOrUrl)}" points at specific heads (#…); open the document URL without them` }
  }
  if (!isValidDocumentId(bare)) {
    return {
      ok: false,
      reason: `"${shorten(idOrUrl)}" is not an automerge document id (expected "automerge:<id>" or <id>, the bs58check encoding of 16 bytes; check for a typo or a truncated copy)`,
    }
  }
  return { ok: true, documentId: bare, url: DOCUMENT_URL_PREFIX + bare }
}

/** `automerge:<documentId>`. */
export function toDocumentUrl(documentId: string): string {
  return DOCUMENT_URL_PREFIX + documentId
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
