import { WebSocket } from 'ws'
import { expect } from 'vitest'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { RecordSnapshot, RecordStoreOptions } from '../../src/core/records/types.js'

export const COLLECTION = 'com.example.message'

export interface Message {
  text: string
}

let roomCounter = 0
export const newRoom = (): string => `room-${process.pid}-${Date.now()}-${roomCounter++}`
export const watchUrl = (room: string): string => `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`

/**
 * Every helper request gets its own connection. Tests stop a server and start another on the
 * same port; a pooled keep-alive socket of the old server can still look open for a moment,
 * and fetch does not retry a POST on it ("other side closed"). That is the test's own
 * socket reuse, not the store's behaviour (the outbox retries its writes).
 */
const ownConnection = { 'content-type': 'application/json', connection: 'close' }

export async function putRecord(baseUrl: string, room: string, value: Message, options: { rkey?: string; did?: string } = {}) {
  const response = await fetch(`${baseUrl}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    headers: ownConnection,
    body: JSON.stringify({ roomUri: room, value, rkey: options.rkey, did: options.did ?? 'did:example:alice' }),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { uri: string; rkey: string; cid: string }
}

export async function deleteRecord(baseUrl: string, room: string, rkey: string, did = 'did:example:alice') {
  const response = await fetch(`${baseUrl}/xrpc/${COLLECTION}.deleteRecord`, {
    method: 'POST',
    headers: ownConnection,
    body: JSON.stringify({ roomUri: room, rkey, did }),
  })
  expect(response.status).toBe(200)
}

export function openStore(
  baseUrl: string,
  room: string,
  options: Partial<RecordStoreOptions<Message>> = {},
): WatchRecordStore<Message> {
  const store = createRecordStore<Message>({
    url: watchUrl(room),
    baseUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    ...options,
  })
  store.start()
  return store
}

/** Resolves with the first snapshot that satisfies `predicate`; fails with the last one seen. */
export function until<V>(
  store: { getSnapshot(): RecordSnapshot<V>; subscribe(listener: () => void): () => void },
  predicate: (snapshot: RecordSnapshot<V>) => boolean,
  timeoutMs = 8000,
): Promise<RecordSnapshot<V>> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const snapshot = store.getSnapshot()
      if (!predicate(snapshot)) return
      clearTimeout(timer)
      unsubscribe()
      resolve(snapshot)
    }
    const timer = setTimeout(() => {
      unsubscribe()
      const { status, error, records } = store.getSnapshot()
      reject(new Error(`Timed out; last snapshot: ${JSON.stringify({ status, error: error?.message, records: records.map((r) => r.rkey) })}`))
    }, timeoutMs)
    const unsubscribe = store.subscribe(check)
    check()
  })
}

/** Records every status a store passes through, including brief ones. */
export function recordStatuses(store: { getSnapshot(): RecordSnapshot<unknown>; subscribe(listener: () => void): () => void }): string[] {
  const seen: string[] = [store.getSnapshot().status]
  store.subscribe(() => {
    const status = store.getSnapshot().status
    if (seen.at(-1) !== status) seen.push(status)
  })
  return seen
}

export const texts = (snapshot: RecordSnapshot<Message>): string[] => snapshot.records.map((r) => r.value.text)
