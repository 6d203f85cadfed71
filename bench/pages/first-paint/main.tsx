/**
 * The page of bench case 4 (cached first paint). `?mode=` picks what one page load does;
 * the result lands in `window.__bench` for the Playwright driver:
 *  - seed-*            write the same 10,000 records (or the Automerge document) to IndexedDB
 *  - syncline          mount <SyncProvider cache={createIndexedDBCache()}> + useRecords; time to the
 *                      first commit that shows all cached records
 *  - raw               the physical limit: idb openDB + one get of the same records
 *  - raw-react         the hand-rolled version: a component that reads idb in an effect, then renders
 *  - automerge         automerge-repo + IndexedDBStorageAdapter: time to the document's first render
 *  - syncline-doc      <SyncProvider url cache={createIndexedDBCache()}> + useDoc: the same document
 *  - raw-doc           the physical limit for documents: Automerge wasm init + idb get + Automerge.load
 * Every document mode starts with Automerge not loaded, as a fresh page does.
 * The watch URL points at an endpoint that never answers, as on a slow or offline network.
 */
import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import { openDB } from 'idb'
import { useEffect, useLayoutEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { createDocConnection, createIndexedDBCache, SyncProvider, useDoc, useRecords } from '../../../src/index.js'
import type { WatchRecord } from '../../../src/index.js'

interface Message {
  $type: string
  text: string
  createdAt: string
}

interface BenchResult {
  ms?: number
  detail?: Record<string, number | string>
  error?: string
}

declare global {
  interface Window {
    __bench?: BenchResult
  }
}

const params = new URLSearchParams(location.search)
const mode = params.get('mode') ?? 'syncline'
const count = Number(params.get('n') ?? 10_000)
const COLLECTION = 'com.example.message'
const WATCH_URL = `/xrpc/${COLLECTION}.watchRecords?roomUri=bench-first-paint`
const SYNCLINE_DB = 'bench-syncline'
const RAW_DB = 'bench-raw'
const AUTOMERGE_DB = 'bench-automerge'
const SYNCLINE_DOC_DB = 'bench-syncline-doc'
const RAW_DOC_DB = 'bench-raw-doc'
/** Nothing listens here: documents paint from the cache alone, as offline. */
const DEAD_SYNC_SERVER = 'ws://127.0.0.1:9/'
/** Messages in the document: with text that compresses poorly, its saved size is about 5 MB. */
const docMessages = Number(params.get('docMessages') ?? 25_000)

type DocMessage = { uri: string; text: string; createdAt: string }

/** The same document content for every document mode (deterministic pseudo-random text). */
function makeDocMessages(n: number): DocMessage[] {
  let seed = 42
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
    return seed
  }
  const messages: DocMessage[] = []
  for (let i = 0; i < n; i++) {
    let text = ''
    while (text.length < 200) text += next().toString(36)
    messages.push({ uri: `at://did:plc:bench/${COLLECTION}/${i.toString(36)}`, text: `message ${i}: ${text}`, createdAt: new Date(1_700_000_000_000 + i).toISOString() })
  }
  return messages
}

const openRawDoc = () =>
  openDB(RAW_DOC_DB, 1, {
    upgrade(db) {
      db.createObjectStore('kv')
    },
  })
const SHOWN = 50

const done = (result: BenchResult): void => {
  window.__bench = result
}

function makeRecords(n: number): WatchRecord<Message>[] {
  const did = 'did:plc:benchauthor0000000000'
  const filler = 'lorem ipsum dolor sit amet, consectetur adipiscing elit; '.repeat(3)
  const records: WatchRecord<Message>[] = []
  for (let i = 0; i < n; i++) {
    const rkey = `3k${i.toString(36).padStart(11, '0')}`
    records.push({
      uri: `at://${did}/${COLLECTION}/${rkey}`,
      did,
      rkey,
      collection: COLLECTION,
      cid: `bafyrei${i.toString(36).padStart(20, 'a')}`,
      value: { $type: COLLECTION, text: `message ${i}: ${filler}`, createdAt: new Date(1_700_000_000_000 + i).toISOString() },
      time_us: 1_700_000_000_000_000 + i,
      indexed_at: 1_700_000_000_000_000 + i,
    })
  }
  // Newest first, as the store keeps them.
  return records.reverse()
}

const openRaw = () =>
  openDB(RAW_DB, 1, {
    upgrade(db) {
      db.createObjectStore('kv')
    },
  })

function Rows({ records }: { records: readonly WatchRecord<Message>[] }) {
  return (
    <>
      <p id="count">{records.length}</p>
      <ul>
        {records.slice(0, SHOWN).map((record) => (
          <li key={record.uri}>{record.value.text}</li>
        ))}
      </ul>
    </>
  )
}

// ——— syncline ———
function SynclineList({ start }: { start: number }) {
  const { records } = useRecords<Message>(WATCH_URL)
  useLayoutEffect(() => {
    if (records.length >= count && window.__bench === undefined) done({ ms: performance.now() - start })
  }, [records])
  return <Rows records={records} />
}

// ——— hand-rolled idb + React ———
function RawList({ start }: { start: number }) {
  const [records, setRecords] = useState<readonly WatchRecord<Message>[]>([])
  useEffect(() => {
    void openRaw().then(async (db) => setRecords(((await db.get('kv', WATCH_URL)) as WatchRecord<Message>[] | undefined) ?? []))
  }, [])
  useLayoutEffect(() => {
    if (records.length >= count && window.__bench === undefined) done({ ms: performance.now() - start })
  }, [records])
  return <Rows records={records} />
}

async function automergeSetup() {
  const [{ Repo }, { IndexedDBStorageAdapter }, { initializeBase64Wasm }, { automergeWasmBase64 }] = await Promise.all([
    import('@automerge/automerge-repo/slim'),
    import('@automerge/automerge-repo-storage-indexeddb'),
    import('@automerge/automerge/slim'),
    import('@automerge/automerge/automerge.wasm.base64'),
  ])
  await initializeBase64Wasm(automergeWasmBase64)
  return new Repo({ storage: new IndexedDBStorageAdapter(AUTOMERGE_DB), network: [] })
}

async function main(): Promise<void> {
  const root = createRoot(document.getElementById('root')!)
  switch (mode) {
    case 'seed-syncline': {
      const cache = createIndexedDBCache({ dbName: SYNCLINE_DB })
      const records = makeRecords(count)
      // The store's default cache key is the watch URL as given.
      await cache.saveRecords(WATCH_URL, records)
      cache.close()
      return done({ ms: 0, detail: { bytes: JSON.stringify(records).length } })
    }
    case 'seed-raw': {
      const db = await openRaw()
      await db.put('kv', makeRecords(count), WATCH_URL)
      db.close()
      return done({ ms: 0 })
    }
    case 'seed-automerge': {
      const repo = await automergeSetup()
      const messages = makeDocMessages(docMessages)
      const handle = repo.create<{ messages: typeof messages }>({ messages })
      await repo.flush()
      const binary = (await import('@automerge/automerge/slim')).save(handle.doc())
      localStorage.setItem('bench-automerge-url', handle.url)
      // The same document, byte for byte, for syncline's cache and for the raw reference.
      const db = await openRawDoc()
      await db.put('kv', binary, 'doc')
      db.close()
      const connection = createDocConnection({ url: DEAD_SYNC_SERVER, cache: createIndexedDBCache({ dbName: SYNCLINE_DOC_DB }), reconnect: false })
      const store = connection.create<{ messages: DocMessage[] }>({ messages })
      await store.whenSaved('local')
      localStorage.setItem('bench-syncline-doc-url', store.url)
      await connection.close()
      return done({ ms: 0, detail: { bytes: binary.length } })
    }
    case 'syncline-doc': {
      const start = performance.now()
      const url = localStorage.getItem('bench-syncline-doc-url')
      if (!url) throw new Error('seed-automerge has not run')
      function SynclineDoc() {
        const [doc] = useDoc<{ messages: DocMessage[] }>(url!)
        const messages = doc?.messages
        useLayoutEffect(() => {
          if (messages && messages.length >= docMessages && window.__bench === undefined) done({ ms: performance.now() - start })
        }, [messages])
        return (
          <>
            <p id="count">{messages?.length ?? 0}</p>
            <ul>{messages?.slice(0, SHOWN).map((m) => <li key={m.uri}>{m.text}</li>)}</ul>
          </>
        )
      }
      root.render(
        <SyncProvider url={DEAD_SYNC_SERVER} cache={createIndexedDBCache({ dbName: SYNCLINE_DOC_DB })}>
          <SynclineDoc />
        </SyncProvider>,
      )
      return
    }
    case 'raw-doc': {
      const start = performance.now()
      const [automerge, { automergeWasmBase64 }] = await Promise.all([import('@automerge/automerge/slim'), import('@automerge/automerge/automerge.wasm.base64')])
      await automerge.initializeBase64Wasm(automergeWasmBase64)
      const db = await openRawDoc()
      const binary = (await db.get('kv', 'doc')) as Uint8Array | undefined
      if (!binary) throw new Error('seed-automerge has not run')
      const doc = automerge.load<{ messages: DocMessage[] }>(binary)
      if (doc.messages.length < docMessages) throw new Error(`raw-doc found ${doc.messages.length} messages`)
      return done({ ms: performance.now() - start })
    }
    case 'syncline': {
      const start = performance.now()
      root.render(
        <SyncProvider recordsBaseUrl={location.origin} cache={createIndexedDBCache({ dbName: SYNCLINE_DB })}>
          <SynclineList start={start} />
        </SyncProvider>,
      )
      return
    }
    case 'raw': {
      const start = performance.now()
      const db = await openRaw()
      const records = (await db.get('kv', WATCH_URL)) as unknown[] | undefined
      const ms = performance.now() - start
      if ((records?.length ?? 0) < count) throw new Error(`raw read found ${records?.length ?? 0} records`)
      return done({ ms })
    }
    case 'raw-react': {
      const start = performance.now()
      root.render(<RawList start={start} />)
      return
    }
    case 'automerge': {
      const start = performance.now()
      const repo = await automergeSetup()
      const wasmReady = performance.now() - start
      const url = localStorage.getItem('bench-automerge-url') as AutomergeUrl | null
      if (!url) throw new Error('seed-automerge has not run')
      const { RepoContext, useDocument } = await import('@automerge/automerge-repo-react-hooks')
      function AutomergeList() {
        const [doc] = useDocument<{ messages: Array<{ uri: string; text: string }> }>(url!, { suspense: false })
        const messages = doc?.messages
        useLayoutEffect(() => {
          if (messages && messages.length >= docMessages && window.__bench === undefined) done({ ms: performance.now() - start, detail: { wasmReadyMs: wasmReady } })
        }, [messages])
        return (
          <>
            <p id="count">{messages?.length ?? 0}</p>
            <ul>{messages?.slice(0, SHOWN).map((m) => <li key={m.uri}>{m.text}</li>)}</ul>
          </>
        )
      }
      root.render(
        <RepoContext.Provider value={repo}>
          <AutomergeList />
        </RepoContext.Provider>,
      )
      return
    }
    default:
      throw new Error(`unknown mode ${mode}`)
  }
}

main().catch((error: unknown) => done({ error: error instanceof Error ? error.message : String(error) }))
