import { describe, expect, it } from 'vitest'
import { TicketSigner, parseTicketSecret, watchTopic } from '../../src/server/tickets.js'

const secret = Buffer.alloc(32, 7)

describe('watch tickets', () => {
  it('round-trips a payload signed with HMAC-SHA256 in base64url', () => {
    const signer = new TicketSigner(secret, () => 1_000)
    const { ticket, expiresAt } = signer.mint({ topics: [watchTopic('com.example.message', 'r1')], did: 'did:example:alice' }, 5_000)
    expect(expiresAt).toBe(6_000)
    expect(ticket).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(signer.verify(ticket)).toEqual({
      ok: true,
      payload: { topics: ['watchRecords:com.example.message:r1'], did: 'did:example:alice', iat: 1_000, exp: 6_000 },
    })
  })

  it('rejects a tampered payload, a foreign secret, a malformed ticket and an expired one', () => {
    let now = 1_000
    const signer = new TicketSigner(secret, () => now)
    const { ticket } = signer.mint({ topics: ['t'], did: 'did:example:alice' }, 100)
    const [body, signature] = ticket.split('.') as [string, string]
    const forged = Buffer.from(JSON.stringify({ topics: ['t'], did: 'did:example:mallory', iat: 1_000, exp: 9e15 })).toString('base64url')
    expect(signer.verify(`${forged}.${signature}`)).toEqual({ ok: false, reason: 'bad-signature' })
    expect(new TicketSigner(Buffer.alloc(32, 8), () => now).verify(ticket)).toEqual({ ok: false, reason: 'bad-signature' })
    expect(signer.verify('no-dot-here')).toEqual({ ok: false, reason: 'malformed' })
    expect(signer.verify(`${body}.${signature}.extra`)).toEqual({ ok: false, reason: 'malformed' })
    expect(signer.verify(`${body}.short`)).toEqual({ ok: false, reason: 'bad-signature' })
    now = 1_100
    expect(signer.verify(ticket)).toEqual({ ok: false, reason: 'expired' })
  })

  it('takes a secret of exactly 32 bytes in any common spelling and refuses others', () => {
    const bytes = Buffer.alloc(32, 3)
    expect(parseTicketSecret(bytes)).toEqual(bytes)
    expect(parseTicketSecret(bytes.toString('hex'))).toEqual(bytes)
    expect(parseTicketSecret(bytes.toString('base64'))).toEqual(bytes)
    expect(parseTicketSecret(bytes.toString('base64url'))).toEqual(bytes)
    expect(parseTicketSecret('x'.repeat(32))).toEqual(Buffer.from('x'.repeat(32)))
    expect(parseTicketSecret(undefined).byteLength).toBe(32)
    for (const bad of ['short', 'x'.repeat(33), Buffer.alloc(16), 'ab'.repeat(31)]) {
      expect(() => parseTicketSecret(bad)).toThrow(expect.objectContaining({ name: 'SyncError', code: 'bad-input' }))
    }
  })
})

describe('ticket lifetimes and contexts', () => {
  it('caps a ticket at notAfter, so a ticket minted from another never outlives it', () => {
    let now = 1_000
    const signer = new TicketSigner(secret, () => now)
    const first = signer.mint({ topics: ['t'], did: 'did:example:alice' }, 5_000)
    now = 4_000
    const second = signer.mint({ topics: ['t'], did: 'did:example:alice' }, 5_000, first.expiresAt)
    expect(second.expiresAt).toBe(first.expiresAt)
    expect(signer.mint({ topics: ['t'], did: 'did:example:alice' }, 1_000, first.expiresAt).expiresAt).toBe(5_000)
  })

  it('seals the context so the ticket does not show it, and opens it only with the same secret', () => {
    const signer = new TicketSigner(secret)
    const ctx = signer.sealContext({ role: 'editor', email: 'alice@example.com' })!
    const { ticket } = signer.mint({ topics: ['t'], did: 'did:example:alice', ctx })
    expect(Buffer.from(ticket.split('.')[0]!, 'base64url').toString()).not.toContain('alice@example.com')
    const check = signer.verify(ticket)
    expect(check.ok && signer.openContext(check.payload)).toEqual({ role: 'editor', email: 'alice@example.com' })
    const other = new TicketSigner(Buffer.alloc(32, 8))
    expect(check.ok && other.openContext(check.payload)).toBeUndefined()
    expect(signer.sealContext(undefined)).toBeUndefined()
  })
})
