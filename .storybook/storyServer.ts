// The stories' reference server, run in Node next to Storybook's dev server (and by the
// stories test). Browser code never imports this file.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Plugin } from 'vite'
import type { SyncServer } from '../src/server/index.js'

/** Where `npm run storybook` serves the stories' data. `SYNCLINE_STORY_PORT` moves it. */
export const STORY_SERVER_PORT = Number(process.env.SYNCLINE_STORY_PORT ?? 3031)
/** The control routes' prefix on Storybook's own origin. */
export const CONTROL_PREFIX = '/__syncline'

export interface StoryServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  running(): boolean
  start(): Promise<void>
  stop(): Promise<void>
  /** Answers `POST /stop`, `POST /start` and `GET /status` (paths relative to the control prefix). */
  handle(req: IncomingMessage, res: ServerResponse): void
}

/**
 * A reference server with memory storage that can be stopped and started again on the
 * same port without losing what the stories wrote, as a real server with a disk would.
 */
export async function createStoryServer(port: number): Promise<StoryServer> {
  // Loaded here, not at the top: `storybook build` reads this config too and needs no server.
  const { createSyncServer, memoryStorage } = await import('../src/server/index.js')
  const memory = memoryStorage()
  const storage = { ...memory, close: async () => {} }
  let server: SyncServer | null = null
  let boundPort = port
  let queue: Promise<void> = Promise.resolve()
  // One action at a time: a double-clicked Stop must not race the Start that follows.
  const serial = (action: () => Promise<void>): Promise<void> => (queue = queue.then(action, action))

  const start = (): Promise<void> =>
    serial(async () => {
      if (server) return
      const next = createSyncServer({ port: boundPort, storage })
      await next.start()
      server = next
      // Port 0 picks a free port once; restarts come back on the same one, as clients expect.
      boundPort = next.port
    })
  const stop = (): Promise<void> =>
    serial(async () => {
      const running = server
      server = null
      await running?.close()
    })

  await start()
  const urlNow = (): string => `http://127.0.0.1:${boundPort}`
  return {
    get url() {
      return urlNow()
    },
    running: () => server !== null,
    start,
    stop,
    handle(req, res) {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify(body))
      }
      const path = (req.url ?? '').split('?')[0]
      const action = req.method === 'POST' && path === '/stop' ? stop : req.method === 'POST' && path === '/start' ? start : null
      if (req.method === 'GET' && path === '/status') return reply(200, { running: server !== null, url: urlNow() })
      if (!action) return reply(404, { error: 'NotFound', message: 'POST /stop, POST /start or GET /status' })
      action().then(
        () => reply(200, { running: server !== null, url: urlNow() }),
        (error: unknown) => reply(500, { error: 'ServerControlFailed', message: String(error) }),
      )
    },
  }
}

/**
 * A Vite plugin for Storybook's dev server: starts the stories' reference server on
 * `port` and serves `POST /__syncline/stop` and `POST /__syncline/start` on Storybook's own
 * origin, for the connection stories' buttons. It does nothing in `storybook build`.
 */
export function storyServerPlugin(port: number = STORY_SERVER_PORT): Plugin {
  let story: Promise<StoryServer | null> | null = null
  return {
    name: 'syncline-story-server',
    apply: 'serve',
    configureServer(vite) {
      story ??= createStoryServer(port).then(
        (created) => {
          vite.config.logger.info(`  syncline: stories' reference server on ${created.url} (memory storage)`)
          return created
        },
        (error: unknown) => {
          // Most likely another copy already runs there; the stories can use it, only
          // the stop/start buttons will answer that they cannot control it.
          vite.config.logger.warn(`  syncline: could not start the stories' server on port ${port}: ${String(error)}`)
          return null
        },
      )
      vite.middlewares.use(CONTROL_PREFIX, (req, res) => {
        void story!.then((created) => {
          if (created) return created.handle(req, res)
          res.writeHead(503, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: 'NotRunning', message: `The stories' server on port ${port} is not managed by this Storybook` }))
        })
      })
    },
    // Vite runs closeBundle when a dev server closes, with or without an HTTP server of its
    // own. Vitest's project servers have none (middleware mode), so listening for the HTTP
    // server's 'close' left this server running and every Vitest run waited 10 s to exit.
    async closeBundle() {
      const running = story
      story = null
      await (await running)?.stop()
    },
  }
}
