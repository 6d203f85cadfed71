// docs/examples/quick-start.tsx
import { SyncProvider, SyncStatusBadge, useRecords, watchRecordsUrl } from 'syncline'

function Room({ room }: { room: string }) {
  // watchRecordsUrl encodes the room: an at:// URI or a name with spaces or & is safe.
  const { records } = useRecords<{ text: string }>(watchRecordsUrl('com.example.message', { roomUri: room }))
  return <ul>{records.map((r) => <li key={r.uri}>{r.value.text}</li>)}</ul>
}

export const App = () => (
  <SyncProvider recordsBaseUrl="http://127.0.0.1:3030"><SyncStatusBadge /><Room room="general" /></SyncProvider>
)
