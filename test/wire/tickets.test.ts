import { describe, expect, it } from 'vitest'
import { TicketSigner } from '../../src/server/tickets.js'
import { checkTicketPayload, DOCUMENTS_TOPIC, splitTicket, watchTopic } from '../../src/wire/tickets.js'

describe('ticket format (src/wire)', () => {
  it('splits what the server mints into its payload and signature', () => {
    const signer = new TicketSigner(Buffer.alloc(32, 7), () => 1_000)
    const { ticket } = signer.mint({ topics: [watchTopic('com.example.message', 'room')], did: 'did:plc:a' })
    const parts = splitTicket(ticket)
    expect(parts).not.toBeNull()
    const payload = checkTicketPayload(JSON.parse(Buffer.from(parts!.payload, 'base64url').toString('utf8')))
    expect(payload).toEqual({ topics: ['watchRecords:com.example.message:room'], did: 'did:plc:a', iat: 1_000, exp: 121_000 })
  })

  it('refuses anything that is not exactly two parts, and payloads without their fields', () => {
    for (const bad of ['', 'nodot', '.sig', 'a.b.c']) expect(splitTicket(bad), bad).toBeNull()
    expect(splitTicket('a.')).toEqual({ payload: 'a', signature: '' })
    for (const bad of [null, 7, [], { topics: 'x', did: 'd', exp: 1, iat: 1 }, { topics: [1], did: 'd', exp: 1, iat: 1 }, { topics: [DOCUMENTS_TOPIC], did: 'd', exp: '1', iat: 1 }]) {
      expect(checkTicketPayload(bad)).toBeNull()
    }
  })
})
