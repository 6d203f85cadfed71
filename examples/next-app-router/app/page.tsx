// A server component: no 'use client', no hooks. It renders the static frame and hands the
// server's address to the client tree, which is where syncline runs.
import { SyncApp } from './SyncApp'

// Read when the page is rendered on the server: the page is prerendered, so that is `next build`.
const serverUrl = process.env.SYNCLINE_SERVER ?? 'http://127.0.0.1:3030'

export default function Page() {
  return (
    <>
      <header>
        <h1>syncline + Next.js</h1>
        <p>This heading comes from a server component; everything below is a client tree.</p>
      </header>
      <SyncApp serverUrl={serverUrl} />
    </>
  )
}
