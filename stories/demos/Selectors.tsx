import { memo, useCallback, useEffect, useRef, useState } from 'react'
import type { WatchRecord } from 'syncline'
import { SyncProvider, SyncStatusBadge, createMemoryCache, shallowEqual, useRecords } from 'syncline'
import { fresh, storyServer } from '../storyServer.js'

const COLLECTION = 'com.example.row'
interface Row {
  text: string
  votes: number
}

const watchUrl = (room: string) => `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`

async function put(room: string, rkey: string, value: Row): Promise<void> {
  await fetch(`${storyServer.url}/xrpc/${COLLECTION}.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roomUri: room, rkey, did: 'did:example:demo', value }),
  })
}

/** Counts this component's renders without causing one. Deliberately impure: it observes rendering. */
function useRenderCount(): number {
  const count = useRef(0)
  // eslint-disable-next-line react-hooks/refs
  return ++count.current
}

/** The count flashes on every render (a new key restarts the animation). */
function RenderCount({ renders }: { renders: number }) {
  return <span key={renders} className="sl-count flash">{renders} {renders === 1 ? 'render' : 'renders'}</span>
}

/** Subscribes to the whole list: every change re-renders it and every row inside. */
function WholeList({ room }: { room: string }) {
  const { records } = useRecords<Row>(watchUrl(room))
  const renders = useRenderCount()
  return (
    <div className="sl-card" style={{ width: 300 }}>
      <h3>Whole-list subscriber</h3>
      <p className="sl-muted">list renders: <RenderCount renders={renders} /></p>
      <ul className="sl-list">{[...records].sort((a, b) => a.rkey.localeCompare(b.rkey)).map((record) => <PlainRow key={record.rkey} room={room} record={record} />)}</ul>
    </div>
  )
}

function PlainRow({ room, record }: { room: string; record: WatchRecord<Row> }) {
  const renders = useRenderCount()
  return (
    <li>
      <span style={{ flex: 1 }}>{record.value.text}</span>
      <VoteButton votes={record.value.votes} onVote={() => void put(room, record.rkey, { ...record.value, votes: record.value.votes + 1 })} />
      <RenderCount renders={renders} />
    </li>
  )
}

/** The list selects only the keys; each row selects its own record. */
function PerRowList({ room }: { room: string }) {
  const selectKeys = useCallback((records: readonly WatchRecord<Row>[]) => records.map((record) => record.rkey).sort(), [])
  const { records: keys } = useRecords<Row, string[]>(watchUrl(room), { selector: selectKeys, isEqual: shallowEqual })
  const renders = useRenderCount()
  return (
    <div className="sl-card" style={{ width: 300 }}>
      <h3>Per-row subscribers</h3>
      <p className="sl-muted">list renders: <RenderCount renders={renders} /></p>
      <ul className="sl-list">{keys.map((rkey) => <SelectedRow key={rkey} room={room} rkey={rkey} />)}</ul>
    </div>
  )
}

const SelectedRow = memo(function SelectedRow({ room, rkey }: { room: string; rkey: string }) {
  const select = useCallback((records: readonly WatchRecord<Row>[]) => records.find((record) => record.rkey === rkey)?.value, [rkey])
  const { records: row } = useRecords<Row, Row | undefined>(watchUrl(room), { selector: select })
  const renders = useRenderCount()
  return (
    <li>
      <span style={{ flex: 1 }}>{row?.text}</span>
      <VoteButton votes={row?.votes ?? 0} onVote={() => row && void put(room, rkey, { ...row, votes: row.votes + 1 })} />
      <RenderCount renders={renders} />
    </li>
  )
})

function VoteButton({ votes, onVote }: { votes: number; onVote: () => void }) {
  return (
    <button className="sl-button small sl-vote" type="button" aria-label="Vote" onClick={onVote}>
      ▲ {votes}
    </button>
  )
}

/** Five votes on random rows, written straight to the server as another user would. */
async function voteFromElsewhere(room: string, rows: number): Promise<void> {
  const response = await fetch(`${storyServer.url}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}`)
  const { records } = (await response.json()) as { records: WatchRecord<Row>[] }
  for (let i = 0; i < 5; i++) {
    const record = records[Math.floor(Math.random() * Math.min(rows, records.length))]
    if (!record) return
    record.value = { ...record.value, votes: record.value.votes + 1 }
    await put(room, record.rkey, record.value)
  }
}

interface SelectorProps {
  /** Rows in the list. */
  rows: number
}

export function SelectorDemo({ rows }: SelectorProps) {
  const [room] = useState(() => fresh('selectors'))
  const [ready, setReady] = useState(false)
  const [cache] = useState(() => createMemoryCache())
  useEffect(() => {
    void Promise.all(Array.from({ length: rows }, (_, i) => put(room, `row-${String(i).padStart(2, '0')}`, { text: `Idea ${i + 1}`, votes: 0 }))).then(() => setReady(true))
  }, [room, rows])
  if (!ready) return <p className="sl-muted">Preparing rows…</p>
  return (
    <SyncProvider recordsBaseUrl={storyServer.url} cache={cache}>
      <div className="sl-toolbar">
        <p className="sl-muted">Vote on any row. The whole-list subscriber re-renders every row on each change; the per-row subscribers re-render only the row that changed.</p>
        <button className="sl-button" type="button" onClick={() => void voteFromElsewhere(room, rows)}>Votes from elsewhere</button>
        <SyncStatusBadge recordsUrl={watchUrl(room)} showSaved={false} />
      </div>
      <div className="sl-row">
        <WholeList room={room} />
        <PerRowList room={room} />
      </div>
    </SyncProvider>
  )
}
