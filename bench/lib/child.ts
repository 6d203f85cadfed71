/** Child processes for servers and client swarms, so each side's CPU and heap are its own. */
import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { within } from './case.js'

export interface Child<Ready> {
  process: ChildProcess
  ready: Ready
  /** Sends a request and waits for the answer with the same `id`. */
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>
  stop(): Promise<void>
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

let nextId = 1

/**
 * Starts a TypeScript file (through tsx) with an IPC channel; it must `process.send` one
 * `{ ready: … }` message when it is up, and answer `{ id, … }` requests with `{ id, result }`
 * or `{ id, error }`.
 */
export async function startChild<Ready>(file: string, options: { args?: string[]; execArgv?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Child<Ready>> {
  const child = fork(file, options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.env && { env: { ...process.env, ...options.env } }),
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let readyResolve: (value: Ready) => void = () => {}
  let readyReject: (error: Error) => void = () => {}
  const readyPromise = new Promise<Ready>((resolve, reject) => {
    readyResolve = resolve
    readyReject = reject
  })
  child.on('message', (raw) => {
    const message = raw as { ready?: Ready; fatal?: string; id?: number; result?: unknown; error?: string }
    if (message.fatal !== undefined) return readyReject(new Error(message.fatal))
    if (message.ready !== undefined) return readyResolve(message.ready)
    if (message.id === undefined) return
    const waiter = pending.get(message.id)
    if (!waiter) return
    pending.delete(message.id)
    if (message.error !== undefined) waiter.reject(new Error(message.error))
    else waiter.resolve(message.result)
  })
  child.once('exit', (code, signal) => {
    const error = new Error(`${file} exited (${signal ?? code})`)
    readyReject(error)
    for (const waiter of pending.values()) waiter.reject(error)
    pending.clear()
  })
  const ready = await within(options.timeoutMs ?? 30_000, `starting ${file}`, readyPromise)
  return {
    process: child,
    ready,
    request<T>(message: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
      const id = nextId++
      const answer = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      })
      child.send({ ...message, id })
      return within(timeoutMs, `${file} ${String(message.type)}`, answer)
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The child side: reports why it cannot start, then exits. */
export function failStart(error: unknown): never {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error)
  process.send?.({ fatal: message })
  process.exitCode = 1
  setTimeout(() => process.exit(1), 100)
  throw error
}

/** The child side: announces readiness and serves requests by `type`. */
export function serveParent(ready: unknown, handlers: Record<string, (message: Record<string, unknown>) => unknown>): void {
  process.on('message', (raw) => {
    const message = raw as Record<string, unknown> & { id: number; type: string }
    void (async () => {
      try {
        const handler = handlers[message.type]
        if (!handler) throw new Error(`unknown request ${message.type}`)
        process.send!({ id: message.id, result: (await handler(message)) ?? null })
      } catch (error) {
        process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) })
      }
    })()
  })
  // The parent going away must take us with it.
  process.on('disconnect', () => process.exit(0))
  process.send!({ ready })
}
