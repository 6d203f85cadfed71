import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

/**
 * A throwaway redis-server on loopback for the cross-instance tests (Debian's
 * `redis-server`; `.ci/run` installs it). Set REDIS_SERVER to use another binary.
 */
export interface TestRedis {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
  /** Starts again on the same port (after stop()). */
  start(): Promise<void>
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | null = null
  const start = async (): Promise<void> => {
    const proc = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      }
      proc.stdout!.on('data', onData)
      proc.once('error', reject)
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
    })
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const proc = child
      child = null
      if (!proc || proc.exitCode !== null) return
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve())
        proc.kill('SIGKILL')
      })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
