// `npm run dev`: the reference server with embedded file storage (.syncline-data/), plus the
// playground on Vite's dev server. Open http://127.0.0.1:5173 in two windows.
import { spawn } from 'node:child_process'
import { createServer } from 'vite'

const serverPort = process.env.SYNCLINE_PORT ?? '3030'
const serverUrl = `http://127.0.0.1:${serverPort}`

// The server runs as its own process (TypeScript through tsx's loader, no npx in between, so
// a signal sent to this script reaches it); the playground's Vite server runs in this one.
const server = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', 'serve', '--port', serverPort, '--data', '.syncline-data'], {
  stdio: 'inherit',
})
process.env.VITE_SYNCLINE_URL = serverUrl
const vite = await createServer({ configFile: 'playground/vite.config.ts' })
await vite.listen()
vite.printUrls()
console.log(`  ➜  Server:  ${serverUrl} (documents on ${serverUrl.replace(/^http/, 'ws')})\n  Open the playground in two windows to see them sync.`)

let stopping = false
const stop = async (code = 0) => {
  if (stopping) return
  stopping = true
  server.kill('SIGTERM')
  await vite.close()
  process.exit(code)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
// If the server dies, take the playground down too rather than leave a confusing half-app.
server.on('exit', (code) => void stop(code ?? 1))
