// docs/examples/throw-on-error.tsx
import { Suspense } from 'react'
import type { SyncError } from 'syncline'
import { useRecords } from 'syncline'

const signInNeeded = (error: SyncError): boolean => error.code === 'unauthorized'

export function Inbox({ url }: { url: string }) {
  // Suspends until there is something to show; a refused token goes to the error boundary,
  // a dropped connection is shown here while it reconnects.
  const { records, error } = useRecords<{ text: string }>(url, { suspense: true, throwOnError: signInNeeded })
  return <p>{error ? `Reconnecting (${error.code})…` : `${records.length} messages`}</p>
}

export const InboxPage = ({ url }: { url: string }) => (
  <Suspense fallback={<p>Loading…</p>}>
    <Inbox url={url} />
  </Suspense>
)
