import type { Meta, StoryObj } from '@storybook/react-vite'
import { memo, useCallback, useEffect, useRef, useState } from 'react'
import type { WatchRecord } from 'syncline'
import { SyncProvider, createMemoryCache, shallowEqual, useRecords } from 'syncline'
import { fresh, storyServer } from './storyServer.js'

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

/** Subscribes to the whole list: every change re-renders it and every row inside. */
function WholeList({ room }: { room: string }) {
  const { records } = useRecords<Row>(watchUrl(room))
  const renders = useRenderCount()
  return (
    <div className="sl-card" style={{ width: 300 }}>
      <h3>Whole-list subscriber</h3>
      <p className="sl-muted">list renders: <span className="sl-count">{renders}</span></p>
      <ul className="sl-list">{[...records].sort((a, b) => a.rkey.localeCompare(b.rkey)).map((record) => <PlainRow key={record.rkey} record={record} />)}</ul>
    </div>
  )
}

function PlainRow({ record }: { record: WatchRecord<Row> }) {
  const renders = useRenderCount()
  return (
    <li>
      <span style={{ flex: 1 }}>{record.value.text}</span>
      <span>{record.value.votes} ▲</span>
      <span className="sl-count">{renders} renders</span>
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
      <p className="sl-muted">list renders: <span className="sl-count">{renders}</span></p>
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
      <button className="sl-button" type="button" onClick={() => row && void put(room, rkey, { ...row, votes: row.votes + 1 })}>{row?.votes ?? 0} ▲</button>
      <span className="sl-count">{renders} renders</span>
    </li>
  )
})

interface SelectorProps {
  /** Rows in the list. */
  rows: number
}

function SelectorDemo({ rows }: SelectorProps) {
  const [room] = useState(() => fresh('selectors'))
  const [ready, setReady] = useState(false)
  const [cache] = useState(() => createMemoryCache())
  useEffect(() => {
    void Promise.all(Array.from({ length: rows }, (_, i) => put(room, `row-${String(i).padStart(2, '0')}`, { text: `Idea ${i + 1}`, votes: 0 }))).then(() => setReady(true))
  }, [room, rows])
  if (!ready) return <p className="sl-muted">Preparing rows…</p>
  return (
    <SyncProvider recordsBaseUrl={storyServer.url} cache={cache}>
      <p className="sl-muted">Vote on a row (right panel): only that row re-renders there, while the whole-list subscriber re-renders everything.</p>
      <div className="sl-row">
        <WholeList room={room} />
        <PerRowList room={room} />
      </div>
    </SyncProvider>
  )
}

const meta = {
  title: 'Records/Selectors and render counts',
  component: SelectorDemo,
  args: { rows: 8 },
  argTypes: { rows: { control: { type: 'range', min: 2, max: 30 } } },
  parameters: {
    docs: {
      description: {
        component: 'With `selector` (and `isEqual`), a component re-renders only when what it selected changed. Render counts are shown next to each component.',
      },
    },
  },
} satisfies Meta<typeof SelectorDemo>

export default meta
type Story = StoryObj<typeof meta>

/** Two subscribers side by side on the same live records. */
export const RenderCounts: Story = {}
