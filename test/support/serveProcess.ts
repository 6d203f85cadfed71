import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const CLI = join(import.meta.dirname, '../../src/server/cli.ts')

/** One `syncline serve` process (the real CLI, run through tsx). */
export interface ServeProcess {
  readonly url: string
  readonly pid: number
  readonly child: ChildProcess
  output(): string
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  /** kill -9: no chance to flush anything. */
  kill(): Promise<number | null>
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<number | null>
}

export interface ServeProcessOptions {
  timeoutMs?: number
  /** A built CLI to run with plain node (an installed package's `dist/server/cli.js`); default: this checkout's source through tsx. */
  cliPath?: string
}

/** Starts `syncline serve --port 0 <args>` and resolves once it prints its URL. */
export async function startServeProcess(args: readonly string[], options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const { timeoutMs = 40_000, cliPath } = options
  const command = cliPath === undefined ? ['--import', 'tsx', CLI] : [cliPath]
  const child = spawn(process.execPath, [...command, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + timeoutMs
  let match: RegExpExecArray | null = null
  while (!(match = /listening on (http:\/\/\S+)/.exec(output))) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`syncline serve ${args.join(' ')} did not start: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const signal = (name: NodeJS.Signals): Promise<number | null> => {
    if (!gone) child.kill(name)
    return exited
  }
  return {
    url: match[1]!,
    pid: child.pid!,
    child,
    output: () => output,
    exited,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  }
}
