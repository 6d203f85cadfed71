import type { JWTPayload, JWTVerifyGetKey } from 'jose'
import { LazyModule } from '../core/lazyModule.js'
import type { Authenticate, Identity } from './auth.js'
import { importOptionalPeer } from './optionalPeer.js'

export interface VerifyJwtOptions {
  /** Your identity provider's JWKS endpoint (RS256/ES256/EdDSA tokens). */
  jwksUrl?: string | URL
  /** A shared secret for HS256 tokens. Give this or `jwksUrl`. */
  secret?: string | Uint8Array
  /** Required `iss`. */
  issuer?: string | string[]
  /** Required `aud`. */
  audience?: string | string[]
  /** Allowed clock difference when checking `exp` and `nbf`, in seconds. @default 5 */
  clockToleranceSeconds?: number
  /** Which claim names the user. @default 'sub' */
  userIdClaim?: string
}

/**
 * An `authenticate` hook for the common case: the token is a JWT, verified against a JWKS
 * endpoint (keys cached and refreshed by `jose`) or a shared secret, with issuer, audience
 * and expiry checked. The server calls it on every connection and every reconnect, so an
 * expired token is refused at the next reconnect. The identity's `context` is the verified
 * payload, handed to `authorize`.
 *
 * `jose` is an optional peer, loaded with the first token: without it, that call rejects with
 * an error that says to install it.
 *
 * ```ts
 * createSyncServer({ authenticate: verifyJwt({ jwksUrl: 'https://issuer/.well-known/jwks.json', issuer: 'https://issuer/', audience: 'my-app' }) })
 * ```
 */
export function verifyJwt(options: VerifyJwtOptions): Authenticate {
  const { jwksUrl, secret, issuer, audience, clockToleranceSeconds = 5, userIdClaim = 'sub' } = options
  if ((jwksUrl === undefined) === (secret === undefined)) throw new TypeError('verifyJwt needs exactly one of jwksUrl and secret')
  const jwksLocation = jwksUrl !== undefined ? new URL(jwksUrl) : undefined
  // One key set for the hook's lifetime: jose caches and refreshes the fetched keys in it.
  const verifier = new LazyModule(async () => {
    const { createRemoteJWKSet, jwtVerify } = await importOptionalPeer('jose', 'verifyJwt', () => import('jose'))
    const key: Uint8Array | JWTVerifyGetKey = jwksLocation !== undefined ? createRemoteJWKSet(jwksLocation) : typeof secret === 'string' ? new TextEncoder().encode(secret) : secret!
    return { key, jwtVerify }
  })
  const verifyOptions = {
    clockTolerance: clockToleranceSeconds,
    ...(issuer !== undefined && { issuer }),
    ...(audience !== undefined && { audience }),
    ...(secret !== undefined && { algorithms: ['HS256', 'HS384', 'HS512'] }),
  }
  return async ({ token }): Promise<Identity | undefined> => {
    // A missing `jose` is the operator's to fix, not a bad token: it rejects, it is not a 401.
    const { key, jwtVerify } = await verifier.load()
    let payload: JWTPayload
    try {
      // jose's overloads split on the key's type; both branches verify the same way.
      ;({ payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions))
    } catch {
      // Expired, wrong issuer, bad signature, unreachable JWKS: all mean "not authenticated".
      return undefined
    }
    const userId = payload[userIdClaim]
    if (typeof userId !== 'string' || userId === '') return undefined
    return { userId, context: payload }
  }
}
