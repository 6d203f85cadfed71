import { Counter } from '@automerge/automerge/slim'
import { useEffect, useState } from 'react'
import { SyncStatusBadge, useDoc } from 'syncline'
import { DocCreator, Tab } from '../kit.js'

/** `count` is an Automerge `Counter` (increments merge) or a plain number (the last write wins). */
interface Tally {
  count: Counter | number
}

const valueOf = (count: Counter | number): number => (typeof count === 'number' ? count : count.value)
const add = (doc: Tally, delta: number): void => {
  if (typeof doc.count === 'number') doc.count += delta
  else doc.count.increment(delta)
}

/** "Every panel at once" reaches each panel through this, so their changes are truly concurrent. */
type Bus = EventTarget

function CounterPanel({ url, label, bus }: { url: string; label: string; bus: Bus }) {
  const [count, change] = useDoc<Tally, number>(url, { selector: (doc) => valueOf(doc.count) })
  const ready = count !== undefined
  useEffect(() => {
    if (!ready) return
    const bump = (): void => change((doc) => add(doc, 1))
    bus.addEventListener('bump', bump)
    return () => bus.removeEventListener('bump', bump)
  }, [bus, change, ready])
  return (
    <div className="sl-card sl-counter">
      <div className="sl-header">
        <h3>{label}</h3>
        <SyncStatusBadge showSaved={false} />
      </div>
      <div className="sl-big" aria-label={`${label} count`}>{count ?? '…'}</div>
      <div className="sl-row" style={{ justifyContent: 'center', gap: 8 }}>
        <button className="sl-button" type="button" disabled={!ready} onClick={() => change((doc) => add(doc, -1))}>−1</button>
        <button className="sl-button primary" type="button" disabled={!ready} onClick={() => change((doc) => add(doc, 1))}>+1</button>
        <button
          className="sl-button"
          type="button"
          disabled={!ready}
          onClick={() => {
            // Ten separate changes, each synced as it is made.
            for (let i = 0; i < 10; i++) change((doc) => add(doc, 1))
          }}
        >
          +10
        </button>
      </div>
    </div>
  )
}

interface SharedCounterProps {
  /** How many independent clients (tabs) edit the counter side by side. */
  panels: number
  /** `Counter`: Automerge's counter type, whose concurrent increments add up. `number`: a plain field, where concurrent writes conflict and one wins. */
  type: 'Counter' | 'number'
}

/** A counter in one Automerge document, edited by independent clients side by side. */
export function SharedCounter(props: SharedCounterProps) {
  // A new document when the type changes.
  return <CounterBoard key={props.type} {...props} />
}

function CounterBoard({ panels, type }: SharedCounterProps) {
  const [url, setUrl] = useState<string>()
  const [bus] = useState<Bus>(() => new EventTarget())
  return (
    <div className="sl-stack" style={{ gap: 14 }}>
      <div className="sl-row">
        <Tab>{url === undefined && <DocCreator<Tally> initial={{ count: type === 'Counter' ? new Counter(0) : 0 }} onCreated={setUrl} />}</Tab>
        {url !== undefined && Array.from({ length: panels }, (_, i) => <Tab key={`${url}-${i}`}><CounterPanel url={url} bus={bus} label={`Panel ${String.fromCharCode(65 + i)}`} /></Tab>)}
      </div>
      <div className="sl-toolbar">
        <button className="sl-button primary" type="button" disabled={url === undefined} onClick={() => bus.dispatchEvent(new Event('bump'))}>
          +1 in every panel at once
        </button>
        <p className="sl-muted">
          {type === 'Counter'
            ? `Each panel adds 1 before hearing from the others; a Counter merges the increments, so every panel ends ${panels} higher.`
            : 'Each panel writes its own count + 1 before hearing from the others; the writes conflict, one wins, and the total rises by only 1.'}
        </p>
      </div>
    </div>
  )
}
