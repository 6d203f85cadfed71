import { act, cleanup, render } from '@testing-library/react'
import { startTransition, Suspense, use, useLayoutEffect, useState, version } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import { shallowEqual } from '../../src/react/shallowEqual.js'
import { useRecords } from '../../src/react/useRecords.js'
import type { ExternalStore } from '../../src/react/useStore.js'
import { useStore } from '../../src/react/useStore.js'
import { useSubscribedSnapshot } from '../../src/react/syncExternalStore.js'

interface Counter {
  a: number
  b: number
}

const reactMajor = Number(version.split('.')[0])

/** React 19's `use`, or what React 18 (scripts/react-matrix.mjs), which has no `use`, suspends on: a thrown promise. */
const suspendOn: (promise: Promise<unknown>) => void =
  (use as typeof use | undefined) ??
  ((promise) => {
    throw promise
  })

function counterStore(initial: Counter) {
  let state = initial
  const listeners = new Set<() => void>()
  const store: ExternalStore<Counter> = {
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot: () => state,
    getServerSnapshot: () => initial,
  }
  const set = (next: Partial<Counter>): void => {
    state = { ...state, ...next }
    act(() => listeners.forEach((listener) => listener()))
  }
  return { store, set, listeners }
}

afterEach(cleanup)

describe('useStore', () => {
  it('re-renders only when the selected value changes, even with an inline selector', () => {
    const { store, set } = counterStore({ a: 1, b: 1 })
    let renders = 0
    function A() {
      renders++
      return <span>{useStore(store, (state) => state.a)}</span>
    }
    const { container } = render(<A />)
    expect(container.textContent).toBe('1')
    set({ b: 2 })
    set({ b: 3 })
    expect(renders).toBe(1)
    set({ a: 5 })
    expect(container.textContent).toBe('5')
    expect(renders).toBe(2)
  })

  it('returns the previous reference when isEqual says the selection is unchanged', () => {
    const { store, set } = counterStore({ a: 1, b: 1 })
    const seen: unknown[] = []
    function Pair() {
      const pair = useStore(store, (state) => [state.a, state.a * 2], shallowEqual)
      seen.push(pair)
      return null
    }
    const { rerender } = render(<Pair />)
    set({ b: 9 })
    rerender(<Pair />) // a new inline selector and comparator on a re-render from above
    expect(seen.length).toBe(2)
    expect(seen[1]).toBe(seen[0])
    set({ a: 2 })
    expect(seen.at(-1)).toEqual([2, 4])
  })

  it('keeps the committed selection when React throws away a render that used another selector', async (context) => {
    if (reactMajor < 18) return context.skip(`needs React 18 (startTransition); this is React ${version}`)
    // The transition renders Reader with selectB and then suspends for good, so React
    // discards that render. The urgent update that follows renders the committed tree,
    // still with selectA, and must show a's value, not the value of the discarded render.
    const { store } = counterStore({ a: 1, b: 2 })
    const selectA = (state: Counter) => state.a
    const selectB = (state: Counter) => state.b
    const never = new Promise<never>(() => {})
    function Reader({ which }: { which: 'a' | 'b' }) {
      return <span>{useStore(store, which === 'a' ? selectA : selectB)}</span>
    }
    function Suspender({ which }: { which: 'a' | 'b' }): null {
      if (which === 'b') suspendOn(never)
      return null
    }
    let setWhich: (which: 'a' | 'b') => void = () => {}
    let bump: () => void = () => {}
    function App() {
      const [which, setState] = useState<'a' | 'b'>('a')
      const [count, setCount] = useState(0)
      setWhich = setState
      bump = () => setCount((value) => value + 1)
      return (
        <Suspense fallback={<i>loading</i>}>
          <Reader which={which} />
          <Suspender which={which} />
          <b>{count}</b>
        </Suspense>
      )
    }
    const { container } = render(<App />)
    expect(container.textContent).toBe('10')
    await act(async () => startTransition(() => setWhich('b')))
    expect(container.textContent).toBe('10') // the transition is suspended, not committed
    await act(async () => bump())
    expect(container.textContent).toBe('11')
  })

  it('unsubscribes on unmount', () => {
    const { store, listeners } = counterStore({ a: 1, b: 1 })
    // A component rather than renderHook, which the Testing Library 12 of the React 17 run lacks.
    function Reader() {
      return <span>{useStore(store, (state) => state.a)}</span>
    }
    const { unmount } = render(<Reader />)
    expect(listeners.size).toBe(1)
    unmount()
    expect(listeners.size).toBe(0)
  })
})

// React 17's path (syncExternalStore.ts), tested here on whatever React runs the tests.
describe('the useSyncExternalStore fallback for React 17', () => {
  it('shows each new snapshot, including one made between the render and the subscription', () => {
    let state = { value: 1 }
    const listeners = new Set<() => void>()
    const getSnapshot = () => state
    const subscribe = (listener: () => void): (() => void) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
    function Reader() {
      return <span>{useSubscribedSnapshot(subscribe, getSnapshot).value}</span>
    }
    // The store moves on after Reader's render and layout effect, before it subscribes, unannounced.
    function Mover(): null {
      useLayoutEffect(() => {
        state = { value: 7 }
      }, [])
      return null
    }
    const { container, unmount } = render(
      <>
        <Reader />
        <Mover />
      </>,
    )
    expect(container.textContent).toBe('7')
    state = { value: 3 }
    act(() => listeners.forEach((listener) => listener()))
    expect(container.textContent).toBe('3')
    unmount()
    expect(listeners.size).toBe(0)
  })

  it('re-renders when a notified snapshot is new, and not when it is the same reference', () => {
    const { store, set, listeners } = counterStore({ a: 1, b: 1 })
    let renders = 0
    function Reader() {
      renders++
      return <span>{useSubscribedSnapshot(store.subscribe, store.getSnapshot).a}</span>
    }
    const { container } = render(<Reader />)
    expect(container.textContent).toBe('1')
    const before = renders
    act(() => listeners.forEach((listener) => listener())) // told, but the snapshot is the same object
    expect(renders).toBe(before)
    set({ a: 2 })
    expect(container.textContent).toBe('2')
    expect(renders).toBe(before + 1)
  })
})

describe('shallowEqual', () => {
  it('compares arrays and plain objects one level deep', () => {
    const record = { text: 'x' }
    expect(shallowEqual([1, record], [1, record])).toBe(true)
    expect(shallowEqual([1, record], [1, { text: 'x' }])).toBe(false)
    expect(shallowEqual({ a: 1, b: record }, { a: 1, b: record })).toBe(true)
    expect(shallowEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(shallowEqual([1], { 0: 1, length: 1 })).toBe(false)
    expect(shallowEqual(NaN, NaN)).toBe(true)
  })
})

describe('outside a provider', () => {
  it('throws a SyncError that says what to do', () => {
    let caught: unknown
    function Probe() {
      try {
        useRecords('/xrpc/com.example.message.watchRecords?roomUri=room1')
      } catch (error) {
        caught = error
      }
      return null
    }
    render(<Probe />)
    expect(caught).toBeInstanceOf(SyncError)
    expect((caught as SyncError).code).toBe('bad-input')
    expect((caught as SyncError).message).toMatch(/useRecords must be used inside <SyncProvider>/)
  })
})
