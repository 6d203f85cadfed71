import type { IncomingMessage } from 'node:http'
import { HttpError, bearerToken } from './http.js'
import { requireDid } from './records/validation.js'

/** Who a request comes from, as `authenticate` said (or the dev-mode stand-in). */
export interface Identity {
  userId: string
  context?: unknown
}

export type Authenticate = (input: { token: string; request: IncomingMessage }) => Promise<Identity | undefined> | Identity | undefined

/**
 * `read` covers watchRecords, listRecords and minting a watch ticket; `write` covers
 * putRecord and deleteRecord; `sync` covers an Automerge document, with `access` saying
 * whether the peer asks to read it (when it first uses it) or to change it (when one of
 * its sync messages would). Asked again whenever a watch or a document subscription
 * (re)starts, also when it starts from a ticket: then `context` is the one the ticket was
 * minted with (it must be JSON-serializable to survive the trip).
 */
export interface AuthorizeRequest {
  type: 'read' | 'write' | 'sync'
  /** `read` for `type: 'read'`, `write` for `type: 'write'`; for `sync`, see above. */
  access: 'read' | 'write'
  userId: string
  context: unknown
  collection?: string
  room?: string
  documentId?: string
}

export type Authorize = (request: AuthorizeRequest) => Promise<boolean> | boolean

/**
 * What `server.revoke` ends at once: every document subscription and watch of `userId`,
 * narrowed to one document (`documentId`) or to watches of a collection and/or room.
 */
export interface RevokeRequest {
  userId: string
  documentId?: string
  collection?: string
  room?: string
}

/** The query parameter a development-mode request names its caller with. */
export const DEV_DID_PARAM = 'devDid'

/** Used when no `authenticate` is configured and the request names nobody. */
export const ANONYMOUS_DID = 'did:web:anonymous'

/**
 * Applies the server's `authenticate` and `authorize` hooks. Without `authenticate` the
 * server is in development mode: anyone may act as the did they name (a `did` body field or
 * a `devDid` query parameter), which is what the playground and tests rely on. Not `actor`:
 * in contrail's query that names the author being watched, and it does here too.
 */
export class Gatekeeper {
  readonly #authenticate: Authenticate | undefined
  readonly #authorize: Authorize | undefined
  readonly #lockedOut: ((request: AuthorizeRequest) => boolean) | undefined

  /** `lockedOut`: whether `server.revoke` shut this request out (lockouts.ts). */
  constructor(options: { authenticate?: Authenticate | undefined; authorize?: Authorize | undefined; lockedOut?: (request: AuthorizeRequest) => boolean }) {
    this.#authenticate = options.authenticate
    this.#authorize = options.authorize
    this.#lockedOut = options.lockedOut
  }

  get requiresAuthentication(): boolean {
    return this.#authenticate !== undefined
  }

  /**
   * The token comes from `Authorization: Bearer`, or for browsers that cannot set headers
   * (WebSocket upgrades, EventSource) from a `token` query parameter.
   */
  async identify(request: IncomingMessage, url: URL, claimedDid?: unknown): Promise<Identity> {
    if (!this.#authenticate) {
      const did = claimedDid ?? url.searchParams.get(DEV_DID_PARAM) ?? undefined
      return { userId: did === undefined ? ANONYMOUS_DID : requireDid(did) }
    }
    const token = bearerToken(request) ?? url.searchParams.get('token') ?? undefined
    if (!token) throw new HttpError(401, 'AuthRequired', 'This server needs a token: send Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' })
    const identity = await this.#authenticate({ token, request })
    if (!identity) throw new HttpError(401, 'InvalidToken', 'The token was not accepted', { 'www-authenticate': 'Bearer error="invalid_token"' })
    return identity
  }

  /** A revoked user stays out (until `server.restore`) whatever `authorize` says; then `authorize` decides. */
  async authorize(request: AuthorizeRequest): Promise<void> {
    if (this.#lockedOut?.(request)) {
      throw new HttpError(403, 'AccessRevoked', `${request.userId} was removed from ${request.documentId ?? `${request.collection ?? 'this server'} in ${request.room ?? 'any room'}`}`)
    }
    if (this.#authorize && !(await this.#authorize(request))) {
      throw new HttpError(403, 'Forbidden', `${request.userId} may not ${request.type === 'sync' ? `${request.access}` : request.type} ${request.documentId ?? `${request.collection} in ${request.room}`}`)
    }
  }
}
