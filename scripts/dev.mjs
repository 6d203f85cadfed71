// `npm run dev`: the reference server with embedded file storage, plus the playground.
import { spawn } from 'node:child_process'

const serverPort = process.env.SYNCLINE_PORT ?? '3030'
const children = [
  spawn('npx', ['tsx', 'src/server/cli.ts', 'serve', '--port', serverPort, '--data', '.syncline-data'], { stdio: 'inherit' }),
  spawn('npx', ['vite', '--config', 'playground/vite.config.ts'], {
    stdio: 'inherit',
    env: { ...process.env, VITE_SYNCLINE_URL: `http://127.0.0.1:${serverPort}` },
  }),
]

const stop = () => {
  for (const child of children) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const child of children) {
  child.on('exit', (code) => {
    // If either half dies, take the other down too rather than leave a confusing half-app.
    stop()
    process.exitCode = code ?? 0
  })
}
