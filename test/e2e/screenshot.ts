// Screenshots of the playground in Chromium, for the README and for looking at it:
//   npx tsx test/e2e/screenshot.ts [outDir]      (default: a new folder under the OS temp dir)
// Two people ("linus" and "ada") in #design, with chat, shared notes and presence; then
// linus with the server down. `--readme` also writes docs/playground.png.
import { copyFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { createServer as createViteServer } from 'vite'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { chromiumArgs, chromiumPath } from '../../vite.config.js'

const args = process.argv.slice(2)
const outDir = args.find((arg) => !arg.startsWith('--')) ?? (await mkdtemp(join(tmpdir(), 'syncline-playground-')))
const storage = { ...memoryStorage(), close: async () => {} }
let server = createSyncServer({ port: 0, storage })
await server.start()
const vite = await createViteServer({ configFile: 'playground/vite.config.ts', server: { port: 0 }, logLevel: 'error' })
await vite.listen()
const playground = vite.resolvedUrls?.local[0] ?? ''
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })

async function person(name: string, room: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 })
  await context.addInitScript((who) => localStorage.setItem('syncline-playground-name', who), name)
  const page = await context.newPage()
  page.on('console', (message) => message.type() === 'error' && console.log(`[${name}] ${message.text()}`))
  page.on('pageerror', (error) => console.log(`[${name}] page error: ${error.message}`))
  await page.goto(`${playground}?server=${encodeURIComponent(server.url)}&room=${room}`)
  await page.getByRole('textbox', { name: 'Notes' }).and(page.locator(':enabled')).waitFor()
  return { context, page }
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
  await page.locator('li.message.pending').waitFor({ state: 'detached' })
}

const shot = async (page: Page, name: string): Promise<string> => {
  const path = join(outDir, `${name}.png`)
  await page.screenshot({ path })
  console.log(path)
  return path
}

try {
  const linus = await person('linus', 'design')
  const ada = await person('ada', 'design')
  await say(ada.page, 'Morning! Pushed the new onboarding flow.')
  await say(linus.page, 'Nice, the empty state looks much better.')
  await say(ada.page, 'Next up: offline mode for the editor.')
  await say(linus.page, 'Edits made offline stay on the device and go out on reconnect. The badge shows both saved levels.')
  await say(ada.page, 'Perfect. I put the agenda for Thursday in the notes →')
  const notes = linus.page.getByRole('textbox', { name: 'Notes' })
  await notes.fill('Design sync agenda\n• Onboarding copy review\n• Offline states: badge + saved levels\n• Ship the Storybook demos')
  await ada.page.getByRole('textbox', { name: 'Notes' }).and(ada.page.locator(':enabled')).waitFor()
  await linus.page.getByText('Also here: ada').waitFor()
  await linus.page.locator('.saved[data-saved="server"]').waitFor()
  await linus.page.getByText('up to date').waitFor()
  await linus.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  const main = await shot(linus.page, 'playground')
  await shot(ada.page, 'playground-ada')

  // linus with the server down: the edit is kept on the device, the badge says so.
  const port = server.port
  await server.close()
  await linus.page.locator('[data-status="reconnecting"]').first().waitFor()
  await notes.press('End')
  await notes.pressSequentially('\n• Written while the server was down')
  await linus.page.locator('.saved[data-saved="local"]').waitFor()
  await shot(linus.page, 'playground-offline')
  server = createSyncServer({ port, storage })
  await server.start()
  await linus.page.locator('.saved[data-saved="server"]').waitFor({ timeout: 30_000 })
  await shot(linus.page, 'playground-back-online')

  // Narrow window.
  await ada.page.setViewportSize({ width: 820, height: 700 })
  await shot(ada.page, 'playground-narrow')

  if (args.includes('--readme')) {
    await copyFile(main, resolve(import.meta.dirname, '../../docs/playground.png'))
    console.log('docs/playground.png updated')
  }
} finally {
  await browser.close()
  await vite.close()
  await server.close()
}
