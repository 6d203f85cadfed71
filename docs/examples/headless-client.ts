// docs/examples/headless-client.ts
import { createDocConnection, createMemoryCache } from 'syncline/core'
import { WebSocket } from 'ws'

type Notes = { lines: string[] }
const connection = createDocConnection({ url: 'ws://127.0.0.1:3030', WebSocket: WebSocket as never, cache: createMemoryCache() })
connection.start()
// The document named on the command line (`npx tsx notes.ts automerge:…`), or a new one.
const shared = process.argv[2]
const notes = shared === undefined ? connection.create<Notes>({ lines: [] }) : connection.open<Notes>(shared)
console.log(`notes: ${notes.url}`)   // give this URL to the next run, or to useDoc, to share the document
await new Promise<void>((resolve, reject) => {   // an opened document is 'loading' until the cache or the server has it
  const check = () => {
    const { status } = notes.getSnapshot()
    if (status === 'ready') resolve()
    if (status === 'unavailable') reject(new Error(`Nobody has ${notes.url}`))
  }
  notes.subscribe(check)
  check()
})
notes.subscribe(() => console.log(notes.getSnapshot().doc?.lines))
notes.change((d) => { d.lines.push('from a script') })
await notes.whenSaved('server', { timeoutMs: 10_000 })   // or { signal }; rejects with code 'timeout' / 'aborted', the edit stays
await connection.close()   // sends unsent changes and waits (up to closeTimeoutMs) for the server to have them
