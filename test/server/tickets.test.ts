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
