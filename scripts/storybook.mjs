// `npm run storybook`: the stories' reference server (scripts/storyServer.ts) plus Storybook.
import { spawn } from 'node:child_process'

const children = [
  spawn('npx', ['tsx', 'scripts/storyServer.ts'], { stdio: 'inherit' }),
  spawn('npx', ['storybook', 'dev', '-p', process.env.STORYBOOK_PORT ?? '6006', '--no-open', '--disable-telemetry'], { stdio: 'inherit' }),
]

const stop = () => {
  for (const child of children) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const child of children) {
  child.on('exit', (code) => {
    // Stories without their server would only show errors: stop both together.
    stop()
    process.exitCode = code ?? 0
  })
}
