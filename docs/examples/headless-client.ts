// docs/examples/headless-client.ts
import { createDocConnection, createMemoryCache } from 'syncline/core'
import { WebSocket } from 'ws'

const connection = createDocConnection({ url: 'ws://127.0.0.1:3030', WebSocket: WebSocket as never, cache: createMemoryCache() })
connection.start()
const notes = connection.open<{ lines: string[] }>('automerge:…')   // or connection.create({ lines: [] })
notes.subscribe(() => console.log(notes.getSnapshot().doc?.lines))
notes.change((d) => { d.lines.push('from a script') })
await notes.whenSaved('server', { timeoutMs: 10_000 })   // or { signal }; rejects with code 'timeout' / 'aborted', the edit stays
await connection.close()   // sends unsent changes and waits (up to closeTimeoutMs) for the server to have them
