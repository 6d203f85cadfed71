import { createServer } from 'node:http'
import type { AddressInfo, Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { contrailWriter, referenceWriter } from '../../src/core/records/recordWriter.js'

interface Seen {
  path: string
  authorization: string | undefined
  body: Record<string, unknown>
}

let server: Server | null = null
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = null
})

/** A loopback HTTP endpoint answering XRPC posts the way contrail's space routes do (or with `status`). */
async function endpoint(answer: (seen: Seen) => { status: number; body: unknown }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      const entry = { path: request.url ?? '', authorization: request.headers.authorization, body: JSON.parse(text) as Record<string, unknown> }
      seen.push(entry)
      const { status, body } = answer(entry)
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen }
}

const SPACE = 'at://did:example:owner/com.example.space/1'

describe('contrailWriter', () => {
  it('posts <ns>.space.putRecord {spaceUri, collection, rkey, record} with the bearer token, and names the uri from authorDid', async () => {
    const { url, seen } = await endpoint(({ body }) => ({ status: 200, body: { rkey: body.rkey, authorDid: 'did:example:bob', createdAt: 1 } }))
    const writer = contrailWriter({ namespace: 'com.example' })
    const watchUrl = `${url}/xrpc/com.example.message.watchRecords?spaceUri=${encodeURIComponent(SPACE)}`
    const result = await writer.put({ watchUrl, collection: 'com.example.message', rkey: '3kabc', value: { text: 'hi' }, token: 'tok', fetch })
    expect(result).toEqual({ uri: 'at://did:example:bob/com.example.message/3kabc', rkey: '3kabc', cid: null })
    await writer.delete({ watchUrl, collection: 'com.example.message', rkey: '3kabc', token: 'tok', fetch })
    expect(seen).toEqual([
      { path: '/xrpc/com.example.space.putRecord', authorization: 'Bearer tok', body: { spaceUri: SPACE, collection: 'com.example.message', rkey: '3kabc', record: { text: 'hi' } } },
      { path: '/xrpc/com.example.space.deleteRecord', authorization: 'Bearer tok', body: { spaceUri: SPACE, collection: 'com.example.message', rkey: '3kabc' } },
    ])
  })

  it('turns a refusal into a typed SyncError: 403 forbidden, 400 bad-input, 503 network (retried)', async () => {
    const statuses = [403, 400, 503]
    const { url } = await endpoint(() => ({ status: statuses.shift() ?? 500, body: { error: 'Nope', message: 'not allowed' } }))
    const writer = contrailWriter({ namespace: 'com.example' })
    const request = { watchUrl: `${url}/xrpc/com.example.message.watchRecords?spaceUri=x`, collection: 'com.example.message', rkey: 'r', value: {}, fetch }
    await expect(writer.put(request)).rejects.toMatchObject({ code: 'forbidden', status: 403 })
    await expect(writer.put(request)).rejects.toMatchObject({ code: 'bad-input', status: 400 })
    await expect(writer.put(request)).rejects.toMatchObject({ code: 'network', status: 503 })
  })
})

describe('referenceWriter', () => {
  it('keeps a path prefix in front of /xrpc, and reports an unreachable server as network', async () => {
    const { url, seen } = await endpoint(() => ({ status: 200, body: { uri: 'at://did:example:a/c.x/r', rkey: 'r', cid: 'sha256-x' } }))
    const result = await referenceWriter.put({ watchUrl: `${url}/api/xrpc/c.x.watchRecords?roomUri=room`, collection: 'c.x', rkey: 'r', value: { a: 1 }, did: 'did:example:a', fetch })
    expect(result.cid).toBe('sha256-x')
    expect(seen[0]).toMatchObject({ path: '/api/xrpc/c.x.putRecord', authorization: undefined, body: { roomUri: 'room', rkey: 'r', value: { a: 1 }, did: 'did:example:a' } })
    await expect(referenceWriter.delete({ watchUrl: 'http://127.0.0.1:1/xrpc/c.x.watchRecords?roomUri=room', collection: 'c.x', rkey: 'r', fetch })).rejects.toMatchObject({ code: 'network' })
  })
})
