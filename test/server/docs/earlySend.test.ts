import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createDocConnection } from '../../../src/core/docs/docConnection.js'
import type { DocConnection } from '../../../src/core/docs/types.js'
import { decodeCbor } from '../../../src/wire/cbor.js'
import { closeAll, startDocServer, until } from './helpers.js'

afterEach(closeAll)

type Doc = { n: number; by: string }

const connections: DocConnection[] = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

/** A connection whose outgoing sync messages are kept, decoded. */
function connect(url: string) {
  const sent: A.DecodedSyncMessage[] = []
  class KeptWebSocket extends WebSocket {
    override send(data: Uint8Array, ...rest: unknown[]): void {
      const frame = decodeCbor(data) as { type?: string; data?: Uint8Array }
      if (frame.type === 'sync' && frame.data) sent.push(A.decodeSyncMessage(frame.data))
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  const connection = createDocConnection({ url, WebSocket: KeptWebSocket as unknown as typeof globalThis.WebSocket, reconnect: false })
  connection.start()
  connections.push(connection)
  return { connection, sent }
}

/**
 * syncline's server relays a change to its readers before applying it, in a message with an
 * empty `have` (earlyRelay.ts). After one, Automerge's generateSyncMessage sends a reader's
 * own next change as heads only, and the server has to ask for it: every edit of a reader
 * that had just received one took a round trip more to reach the other peers.
 */
describe('a reader that writes back', () => {
  it('sends its change in its first message after receiving an early-relayed one', async () => {
    const server = await startDocServer()
    const a = connect(server.url)
    const b = connect(server.url)
    const writer = a.connection.create<Doc>({ n: 0, by: 'a' })
    await writer.whenSaved('server')
    const reader = b.connection.open<Doc>(writer.url)
    await until(() => reader.getSnapshot().status === 'ready', 3000, 'B to load the document')
    for (let n = 1; n <= 3; n++) {
      writer.change((doc) => void (doc.n = n * 10))
      await until(() => reader.getSnapshot().doc?.n === n * 10, 3000, "A's change to reach B")
      await until(() => reader.getSnapshot().saved.server, 3000, 'B to be in sync')
      b.sent.length = 0
      reader.change((doc) => void (doc.n = n * 10 + 1))
      await until(() => writer.getSnapshot().doc?.n === n * 10 + 1, 3000, "B's change to reach A")
      expect(b.sent[0]?.changes.length, `edit ${n}: B's first message carries its change`).toBe(1)
      expect(b.sent.slice(1).every((message) => message.changes.length === 0), `edit ${n}: sent once`).toBe(true)
    }
  })
})
