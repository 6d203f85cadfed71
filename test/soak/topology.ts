import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TcpBalancer } from '../support/balancer.js'
import { balancer } from '../support/balancer.js'
import type { TestRedis } from '../support/redis.js'
import { startRedis } from '../support/redis.js'
import type { ServeProcess } from '../support/serveProcess.js'
import { startServeProcess } from '../support/serveProcess.js'

/**
 * The servers of a soak: one `syncline serve` on file storage, and (with PostgreSQL) two on
 * one database fanning out through Redis behind a TCP balancer. Each group is a "world":
 * its clients and its data never meet the other's.
 */
export interface World {
  readonly name: 'file' | 'cluster'
  /** Where a client's fault proxy connects: the instance, or the balancer. */
  target(): { host: string; port: number }
  /** Each running instance, for reading storage around every proxy. */
  instanceUrls(): string[]
}

export type ProcessFaultKind = 'kill-file' | 'kill-cluster' | 'redis-restart'

export interface Topology {
  readonly worlds: readonly World[]
  readonly processFaultKinds: readonly ProcessFaultKind[]
  /** Runs one process fault to its end (down, a pause, back up); `pauseMs` is how long it stays down. */
  processFault(kind: ProcessFaultKind, pauseMs: number, instanceIndex: number): Promise<void>
  /** The server processes now running, for memory samples. */
  processes(): Array<{ name: string; pid: number }>
  /** Output of every instance started so far (for a failure report). */
  logs(): string
  close(): Promise<void>
}

const hostPort = (url: string): { host: string; port: number } => {
  const { hostname, port } = new URL(url)
  return { host: hostname, port: Number(port) }
}

export async function startTopology(postgresUrl: string | undefined): Promise<Topology> {
  const dataDir = await mkdtemp(join(tmpdir(), 'syncline-soak-'))
  // One secret for every instance and restart: a WebSocket watch mints its ticket on one
  // instance and may upgrade on the other (as a deployment behind a balancer would).
  const ticketSecret = randomBytes(32).toString('hex')
  const started: ServeProcess[] = []
  const launch = async (args: string[]): Promise<ServeProcess> => {
    const instance = await startServeProcess([...args, '--ticket-secret', ticketSecret])
    started.push(instance)
    return instance
  }
  let fileInstance = await launch(['--data', dataDir])
  const worlds: World[] = [{ name: 'file', target: () => hostPort(fileInstance.url), instanceUrls: () => [fileInstance.url] }]

  let redis: TestRedis | null = null
  let front: TcpBalancer | null = null
  const cluster: Array<ServeProcess | null> = []
  if (postgresUrl !== undefined) {
    const redisServer = await startRedis()
    redis = redisServer
    const args = ['--postgres', postgresUrl, '--redis', redisServer.url]
    cluster.push(...(await Promise.all([launch(args), launch(args)])))
    const alive = (): string[] => cluster.filter((instance) => instance !== null).map((instance) => instance.url)
    const balanced = await balancer(alive, { order: 'round-robin' })
    front = balanced
    worlds.push({ name: 'cluster', target: () => hostPort(balanced.url), instanceUrls: alive })
  }

  const processFault = async (kind: ProcessFaultKind, pauseMs: number, instanceIndex: number): Promise<void> => {
    const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, pauseMs))
    if (kind === 'kill-file') {
      await fileInstance.kill()
      await pause()
      fileInstance = await launch(['--data', dataDir])
    } else if (kind === 'kill-cluster') {
      const index = instanceIndex % cluster.length
      const victim = cluster[index]
      if (!victim) return
      cluster[index] = null
      await victim.kill()
      await pause()
      cluster[index] = await launch(['--postgres', postgresUrl!, '--redis', redis!.url])
    } else {
      await redis!.stop()
      await pause()
      await redis!.start()
    }
  }

  return {
    worlds,
    processFaultKinds: postgresUrl === undefined ? ['kill-file'] : ['kill-file', 'kill-cluster', 'redis-restart'],
    processFault,
    processes: () => {
      const named = [{ name: 'file', instance: fileInstance }, ...cluster.map((instance, index) => ({ name: `cluster-${index}`, instance }))]
      return named.filter((entry) => entry.instance !== null).map(({ name, instance }) => ({ name, pid: instance!.pid }))
    },
    logs: () => started.map((instance, index) => `--- instance ${index} (${instance.url})\n${instance.output()}`).join('\n'),
    async close() {
      await front?.close()
      await Promise.all(started.map((instance) => instance.kill()))
      await redis?.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
