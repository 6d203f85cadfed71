import { SyncError } from '../errors.js'
import { parseDocumentUrlText } from '../../wire/documentId.js'

export { DOCUMENT_URL_PREFIX, generateDocumentId, isValidDocumentId, toDocumentUrl } from '../../wire/documentId.js'

/**
 * Accepts `automerge:<id>` or a bare `<id>` and returns the bare id. Throws a
 * `SyncError` with code `'bad-input'` for anything else — a typo, a wrong checksum, an
 * URL with heads (`#…`, a read-only view that syncline does not open).
 */
export function parseDocumentUrl(idOrUrl: string): { documentId: string; url: string } {
  const parsed = parseDocumentUrlText(idOrUrl)
  if (!parsed.ok) throw new SyncError('bad-input', parsed.reason)
  return { documentId: parsed.documentId, url: parsed.url }
}

/** 16 random hex digits: peer ids and ephemeral session ids. */
export function randomId(): string {
  const bytes = new Uint8Array(8)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
