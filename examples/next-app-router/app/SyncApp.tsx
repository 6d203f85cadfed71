'use client'
import { SyncProvider, SyncStatusBadge } from 'syncline'
import { Guestbook } from './Guestbook'
import { SharedList } from './SharedList'

/**
 * The client tree. It is rendered on the server too (to HTML), where syncline connects to
 * nothing: the badge says "Idle", the list shows its loading state, and the same markup
 * hydrates in the browser before anything connects.
 */
export function SyncApp({ serverUrl }: { serverUrl: string }) {
  return (
    <SyncProvider url={serverUrl.replace(/^http/, 'ws')} recordsBaseUrl={serverUrl}>
      <SyncStatusBadge />
      <main>
        <Guestbook />
        <SharedList />
      </main>
    </SyncProvider>
  )
}
