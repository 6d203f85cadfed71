import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, fileStorage, memoryStorage } from '../../src/server/index.js'

interface Note {
  text: string
}

const repos: Repo[] = []
const servers: SyncServer[] = []
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-docs-'))
})
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.shutdown()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
  await rm(dir, { recursive: true, force: true })
})

async function start(options: SyncServerOptions): Promise<SyncServer> {
  const server = createSyncServer({ port: 0, ...options })
  servers.push(server)
  await server.start()
  return server
}
const wsUrl = (server: SyncServer): string => server.url.replace('http', 'ws')
function stockRepo(url: string): Repo {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)], sharePolicy: async () => true })
  repos.push(repo)
  return repo
}

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('documents on createSyncServer', () => {
  it('lets stock Repo clients sync through `/`, next to the records API on the same port, and keeps the document across a restart', async () => {
    const server = await start({ storage: fileStorage(dir), saveDebounceMs: 5 })
    const port = server.port
    const events: string[] = []
    server.onClientConnect((event) => events.push(`connect ${event.transport}`))
    const a = stockRepo(wsUrl(server))
    const handle = a.create<Note>({ text: 'hello' })
    const b = stockRepo(wsUrl(server))
    const found = await eventually(async () => {
      try {
        return await b.find<Note>(handle.url)
      } catch {
        return undefined
      }
    }, 'B to find A’s document')
    expect(found.doc()).toEqual({ text: 'hello' })
    handle.change((doc) => {
      doc.text = 'hello, B'
    })
    await eventually(() => (found.doc().text === 'hello, B' ? true : undefined), 'the live change')
    expect(events).toContain('connect automerge')
    expect(((await (await fetch(`${server.url}/health`)).json()) as { peers: number }).peers).toBe(2)
    // Records on the same port still work.
    expect((await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=r`)).status).toBe(200)

    await Promise.all(repos.splice(0).map((repo) => repo.shutdown()))
    await server.close()
    servers.splice(0)

    const restarted = await start({ storage: fileStorage(dir), port })
    const c = stockRepo(wsUrl(restarted))
    const reloaded = await c.find<Note>(handle.url)
    expect(reloaded.doc()).toEqual({ text: 'hello, B' })
  })

  it('refuses the document socket without a token when authenticate is set, and hides denied documents', async () => {
    const server = await start({
      storage: memoryStorage(),
      authenticate: ({ token }) => (token === 'good' || token === 'bob' ? { userId: token === 'bob' ? 'did:example:bob' : 'did:example:alice' } : undefined),
      authorize: ({ type, userId, documentId }) => type !== 'sync' || userId !== 'did:example:bob' || documentId !== denied,
    })
    let denied = ''
    const status = (url: string, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url, { headers })
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)))
        ws.on('open', () => {
          ws.close()
          resolve('open')
        })
        ws.on('error', () => {})
      })
    expect(await status(wsUrl(server))).toBe('401')
    expect(await status(wsUrl(server), { authorization: 'Bearer bad' })).toBe('401')
    expect(await status(`${wsUrl(server)}/?token=good`)).toBe('open')
    expect(await status(wsUrl(server), { authorization: 'Bearer good' })).toBe('open')

    // A client allowed to connect still gets doc-unavailable for a document it may not use.
    const owner = stockRepo(`${wsUrl(server)}/?token=good`)
    const secret = owner.create<Note>({ text: 'secret' })
    denied = secret.documentId
    const colleague = stockRepo(`${wsUrl(server)}/?token=good`)
    const seen = await eventually(async () => {
      try {
        return await colleague.find<Note>(secret.url)
      } catch {
        return undefined
      }
    }, 'an allowed user to find the document')
    expect(seen.doc()).toEqual({ text: 'secret' })
    const bob = stockRepo(`${wsUrl(server)}/?token=bob`)
    await expect(bob.find<Note>(secret.url)).rejects.toThrow(/unavailable/i)
  })
})
