import { describe, expect, it } from 'vitest'
import { generateDocumentId } from '../../src/wire/documentId.js'
import { HEARTBEAT_TYPE, PROTOCOL_VERSION } from '../../src/wire/messages.js'
import { validateClientMessage, validateServerMessage } from '../../src/wire/validateMessage.js'

const documentId = generateDocumentId()
const sync = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'sync',
  senderId: 'peer-a',
  targetId: 'server',
  documentId,
  data: new Uint8Array([0x42, 1]),
  ...fields,
})

/** Both directions, so a drift between them shows as one side disagreeing. */
const bothSides = [
  ['client → server', validateClientMessage],
  ['server → client', validateServerMessage],
] as const

describe('protocol "1" validators (src/wire)', () => {
  describe.each(bothSides)('%s', (_side, validate) => {
    it('accepts a well-formed sync, request and ephemeral', () => {
      expect(validate(sync())).toEqual({ ok: true, message: { type: 'sync', senderId: 'peer-a', documentId, data: new Uint8Array([0x42, 1]) } })
      expect(validate(sync({ type: 'request' }))).toMatchObject({ ok: true, message: { type: 'request' } })
      const ephemeral = sync({ type: 'ephemeral', sessionId: 's', count: 3, data: new Uint8Array([0xf6]) })
      expect(validate(ephemeral)).toEqual({ ok: true, message: { type: 'ephemeral', senderId: 'peer-a', documentId, sessionId: 's', count: 3, data: new Uint8Array([0xf6]) } })
    })

    it('refuses empty sync and request data (drift: only the server used to)', () => {
      for (const type of ['sync', 'request']) {
        expect(validate(sync({ type, data: new Uint8Array(0) }))).toEqual({ ok: false, reason: expect.stringMatching(/non-empty "data"/) as unknown, senderId: 'peer-a' })
      }
    })

    it('checks doc-unavailable like any document message (drift: the server skipped it unchecked)', () => {
      expect(validate({ type: 'doc-unavailable', senderId: 'peer-a', targetId: 'server', documentId })).toEqual({
        ok: true,
        message: { type: 'doc-unavailable', senderId: 'peer-a', documentId },
      })
      for (const bad of ['../x', `automerge:${documentId}`, 42, undefined]) {
        const checked = validate({ type: 'doc-unavailable', senderId: 'peer-a', targetId: 'server', documentId: bad })
        expect(checked).toMatchObject({ ok: false, reason: expect.stringMatching(/valid "documentId"/) as unknown })
      }
    })

    it('refuses bad document ids, missing or non-binary data, and ephemeral messages without session or count', () => {
      const refusals: [Record<string, unknown>, RegExp][] = [
        [sync({ documentId: '../../etc/passwd' }), /documentId/],
        [sync({ documentId: documentId.slice(0, -1) + (documentId.endsWith('2') ? '3' : '2') }), /documentId/],
        [sync({ data: undefined }), /binary "data"/],
        [sync({ data: 'AAAA' }), /binary "data"/],
        [sync({ type: 'ephemeral', count: 1 }), /sessionId/],
        [sync({ type: 'ephemeral', sessionId: 's', count: Number.NaN }), /count/],
        [sync({ type: 'teleport' }), /unknown (message )?type "teleport"/i],
        [sync({ type: 7 }), /"type"/],
      ]
      for (const [value, reason] of refusals) expect(validate(value)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) as unknown })
    })

    it('reads remote-heads gossip as ignored, and refuses what is not one plain map', () => {
      expect(validate({ type: 'remote-heads-changed', senderId: 'peer-a', targetId: 'server' })).toEqual({
        ok: true,
        message: { type: 'ignored', senderId: 'peer-a', messageType: 'remote-heads-changed' },
      })
      for (const notAMap of [[1, 2], 42, null, new Uint8Array([1]), new Map([['type', 'sync']])]) {
        expect(validate(notAMap)).toMatchObject({ ok: false, reason: expect.stringMatching(/one CBOR map/) as unknown })
      }
    })
  })

  describe('client → server only', () => {
    it('reads join with or without a version list, and the heartbeat request', () => {
      expect(validateClientMessage({ type: 'join', senderId: 'a' })).toEqual({
        ok: true,
        message: { type: 'join', senderId: 'a', supportedProtocolVersions: [PROTOCOL_VERSION], wantsHeartbeat: false },
      })
      expect(validateClientMessage({ type: 'join', senderId: 'a', supportedProtocolVersions: ['1', '2'], peerMetadata: { synclineHeartbeat: true } })).toMatchObject({
        ok: true,
        message: { supportedProtocolVersions: ['1', '2'], wantsHeartbeat: true },
      })
      expect(validateClientMessage({ type: 'join', senderId: 'a', supportedProtocolVersions: '1' })).toMatchObject({ ok: false, senderId: 'a' })
    })

    it('requires a bounded senderId and a targetId on every message', () => {
      expect(validateClientMessage(sync({ senderId: 'x'.repeat(257) }))).toMatchObject({ ok: false, reason: expect.stringMatching(/senderId/) as unknown })
      expect(validateClientMessage(sync({ senderId: '' }))).toMatchObject({ ok: false })
      expect(validateClientMessage(sync({ targetId: undefined }))).toMatchObject({ ok: false, reason: expect.stringMatching(/targetId/) as unknown, senderId: 'peer-a' })
    })
  })

  describe('server → client only', () => {
    it('reads peer (a missing version is "1"), error, and the heartbeat with a sane interval only', () => {
      expect(validateServerMessage({ type: 'peer', senderId: 's', targetId: 'me' })).toEqual({ ok: true, message: { type: 'peer', senderId: 's', selectedProtocolVersion: '1' } })
      expect(validateServerMessage({ type: 'peer', senderId: 's', selectedProtocolVersion: 2 })).toMatchObject({ ok: false })
      expect(validateServerMessage({ type: 'error', message: 'disk is full' })).toEqual({ ok: true, message: { type: 'error', senderId: undefined, message: 'disk is full' } })
      expect(validateServerMessage({ type: HEARTBEAT_TYPE, intervalMs: 500 })).toEqual({ ok: true, message: { type: HEARTBEAT_TYPE, intervalMs: 500 } })
      expect(validateServerMessage({ type: HEARTBEAT_TYPE, intervalMs: -1 })).toEqual({ ok: true, message: { type: HEARTBEAT_TYPE, intervalMs: undefined } })
    })

    it('refuses a document message without a senderId', () => {
      expect(validateServerMessage(sync({ senderId: undefined }))).toMatchObject({ ok: false, reason: expect.stringMatching(/senderId/) as unknown })
    })
  })
})
