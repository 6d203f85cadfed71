import { createServer as createNetServer } from 'node:net'
import { createServer } from 'vite'
import { expect, test } from 'vitest'
import { storyServerPlugin } from '../../.storybook/storyServer.js'

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`)
    return response.ok
  } catch {
    return false
  }
}

// Vitest makes a dev server in middleware mode (no HTTP server of its own) for every project,
// the stories project included, even when it runs only unit tests. The stories' reference
// server started there was never stopped, and every Vitest run waited 10 s before exiting.
test("closing a middleware-mode dev server stops the stories' reference server", async () => {
  const port = await freePort()
  const vite = await createServer({ configFile: false, logLevel: 'silent', server: { middlewareMode: true, ws: false }, plugins: [storyServerPlugin(port)] })
  try {
    await expect.poll(() => answers(port), { timeout: 10_000, interval: 50 }).toBe(true)
  } finally {
    await vite.close()
  }
  expect(await answers(port)).toBe(false)
})
