import { afterEach, describe, expect, it } from 'vitest'
import { closeError } from '../../src/core/socketClose.js'
import { classifyClose, classifyUpgradeStatus, CLOSE_FORBIDDEN, CLOSE_POLICY, CLOSE_RESNAPSHOT, CLOSE_UNAUTHORIZED } from '../../src/wire/closeCodes.js'
import { closeAll, connect, rawServer, until } from '../core/docs/helpers.js'

afterEach(closeAll)

describe('close codes (src/wire) and the shared client reading (src/core/socketClose)', () => {
  it('classify explicit codes, 1008 with a reason, and everything else', () => {
    expect(classifyClose(CLOSE_UNAUTHORIZED, '')).toBe('unauthorized')
    expect(classifyClose(CLOSE_FORBIDDEN, '')).toBe('forbidden')
    expect(classifyClose(CLOSE_RESNAPSHOT, 'too far behind')).toBe('resnapshot')
    expect(classifyClose(CLOSE_POLICY, 'bad token')).toBe('unauthorized')
    expect(classifyClose(CLOSE_POLICY, 'Authentication required')).toBe('unauthorized')
    expect(classifyClose(CLOSE_POLICY, 'access denied')).toBe('forbidden')
    expect(classifyClose(CLOSE_POLICY, 'too many messages while a document loads')).toBe('other')
    expect(classifyClose(1006, '')).toBe('other')
    expect(classifyUpgradeStatus(401)).toBe('unauthorized')
    expect(classifyUpgradeStatus(403)).toBe('forbidden')
    expect(classifyUpgradeStatus(502)).toBe('other')
  })

  it('read a 1008 naming the ticket as unauthorized on both sockets (drift: the document socket retried it)', () => {
    expect(classifyClose(CLOSE_POLICY, 'ticket expired')).toBe('unauthorized')
    const error = closeError(CLOSE_POLICY, 'ticket expired', undefined, 'ws://h/')
    expect(error).toMatchObject({ code: 'unauthorized', message: 'ws://h/ closed the WebSocket (code 1008: ticket expired)' })
    expect(closeError(1000, '', 401, 'ws://h/')).toMatchObject({ code: 'unauthorized', status: 401 })
    expect(closeError(CLOSE_RESNAPSHOT, 'gone', undefined, 'ws://h/')).toMatchObject({ code: 'network', message: expect.stringContaining('fresh snapshot') as unknown })
  })

  it('park a real document connection that a server closes with 1008 "ticket expired"', async () => {
    // A real loopback server that refuses the join the way a ticket-checking proxy might.
    const server = await rawServer((frame, socket) => {
      if (frame.type === 'join') socket.close(CLOSE_POLICY, 'ticket expired')
    })
    const connection = connect(server.url)
    await until(() => connection.getSnapshot().status === 'closed', 'the connection to park in closed')
    expect(connection.getSnapshot().error?.code).toBe('unauthorized')
  })
})
