/**
 * The physical limit of case 1's document relay, built from its two parts: the Automerge work
 * of one relay done in one process (A → S → B, no network), and two bare `ws` hops (one echo
 * round trip on loopback). Each part is measured two ways:
 *  - hot: edits and echoes back to back, as fast as they go;
 *  - paced: each edit and each echo after a random 0–100 ms pause, as the relays are measured.
 *    The two parts alternate, so both see the same machine over the same seconds.
 */
import * as A from '@automerge/automerge'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { log, sleep, within } from './case.js'
import type { Summary } from './stats.js'
import { summarize } from './stats.js'

type Counter = {
  count: number
  title: string
}

/** The relays' pause between edits, in ms: a person's, 0–100. */
export const relayPause = (): Promise<void> => sleep(Math.random() * 100)

/**
 * A, S and B each hold the document; each `edit` makes one change on A and syncs it
 * A → S → B until nobody has anything to send, returning the ms that took.
 */
function inProcessRelay(): { edit(count: number): number } {
  let a = A.from<Counter>({ count: 0, title: 'relay' })
  let s = A.init<Counter>()
  let b = A.init<Counter>()
  let aToS = A.initSyncState()
  let sFromA = A.initSyncState()
  let sToB = A.initSyncState()
  let bFromS = A.initSyncState()

  const settle = (): void => {
    for (let round = 0; round < 50; round++) {
      let sent = false
      let message: Uint8Array | null
      ;[aToS, message] = A.generateSyncMessage(a, aToS)
      if (message) {
        ;[s, sFromA] = A.receiveSyncMessage(s, sFromA, message)
        sent = true
      }
      ;[sFromA, message] = A.generateSyncMessage(s, sFromA)
      if (message) {
        ;[a, aToS] = A.receiveSyncMessage(a, aToS, message)
        sent = true
      }
      ;[sToB, message] = A.generateSyncMessage(s, sToB)
      if (message) {
        ;[b, bFromS] = A.receiveSyncMessage(b, bFromS, message)
        sent = true
      }
      ;[bFromS, message] = A.generateSyncMessage(b, bFromS)
      if (message) {
        ;[s, sToB] = A.receiveSyncMessage(s, sToB, message)
        sent = true
      }
      if (!sent) return
    }
    throw new Error('in-process relay did not settle')
  }

  settle()
  return {
    edit(count) {
      const start = performance.now()
      a = A.change(a, (doc) => {
        doc.count = count
      })
      settle()
      const elapsed = performance.now() - start
      if (b.count !== count) throw new Error(`in-process relay lost edit ${count}`)
      return elapsed
    },
  }
}

/** A socket to the echo server; `roundTrip` sends 120 bytes and returns the ms until they are back. */
async function openEcho(url: string): Promise<{ roundTrip(): Promise<number>; close(): void }> {
  const socket = new WebSocket(url)
  await within(5000, 'echo socket open', new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  }))
  const payload = Buffer.alloc(120, 7)
  return {
    async roundTrip() {
      const start = performance.now()
      const back = new Promise((resolve) => socket.once('message', resolve))
      socket.send(payload)
      await within(5000, 'echo', back)
      return performance.now() - start
    },
    close: () => socket.close(),
  }
}

/** Echo round trips back to back (after `warmup` unmeasured ones). */
export async function measureHotEcho(url: string, { echoes, warmup }: { echoes: number; warmup: number }): Promise<Summary> {
  log('[doc-relay] bare ws echo, back to back')
  const echo = await openEcho(url)
  const samples: number[] = []
  try {
    for (let i = 0; i < warmup + echoes; i++) {
      const elapsed = await echo.roundTrip()
      if (i >= warmup) samples.push(elapsed)
    }
  } finally {
    echo.close()
  }
  return summarize(samples)
}

/** In-process relays back to back (after `warmup` unmeasured ones). */
export function measureHotRelay({ edits, warmup }: { edits: number; warmup: number }): Summary {
  log('[doc-relay] in-process Automerge relay, back to back')
  const relay = inProcessRelay()
  const samples: number[] = []
  for (let i = 1; i <= warmup + edits; i++) {
    const elapsed = relay.edit(i)
    if (i > warmup) samples.push(elapsed)
  }
  return summarize(samples)
}

/**
 * The limit's two parts with the relays' pauses: `samples` in-process relays and as many echo
 * round trips, alternating, each after its own pause (`warmup` of each first, unmeasured and
 * unpaused).
 */
export async function measurePacedLimit(echoUrl: string, { samples, warmup }: { samples: number; warmup: number }): Promise<{ relay: Summary; echo: Summary }> {
  log('[doc-relay] in-process Automerge relay and bare ws echo, alternating, each after a 0–100 ms pause')
  const relay = inProcessRelay()
  const echo = await openEcho(echoUrl)
  const relaySamples: number[] = []
  const echoSamples: number[] = []
  try {
    for (let i = 1; i <= warmup; i++) {
      relay.edit(i)
      await echo.roundTrip()
    }
    for (let i = warmup + 1; i <= warmup + samples; i++) {
      await relayPause()
      relaySamples.push(relay.edit(i))
      await relayPause()
      echoSamples.push(await echo.roundTrip())
    }
  } finally {
    echo.close()
  }
  return { relay: summarize(relaySamples), echo: summarize(echoSamples) }
}
