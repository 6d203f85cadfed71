import { SyncProvider, SyncStatusBadge } from 'syncline'
import { Guestbook } from './Guestbook.tsx'
import { SharedList } from './SharedList.tsx'
import { documentsUrl, serverUrl } from './server.ts'

export function App() {
  return (
    // One provider for both halves: records over HTTP/SSE, documents over the WebSocket.
    <SyncProvider url={documentsUrl} recordsBaseUrl={serverUrl}>
      <header>
        <h1>syncline + Vite</h1>
        <SyncStatusBadge />
      </header>
      <main>
        <Guestbook />
        <SharedList />
      </main>
    </SyncProvider>
  )
}
