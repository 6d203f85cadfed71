// docs/examples/logout-button.tsx
import { isSyncError, useSyncClient } from 'syncline'

export function LogoutButton({ onLoggedOut }: { onLoggedOut: () => void }) {
  const client = useSyncClient()
  const logout = async () => {
    try {
      await client.clearLocalData()
    } catch (error) {
      if (!isSyncError(error) || error.code !== 'unsaved' || !confirm('Discard changes not sent yet?')) throw error
      await client.clearLocalData({ discardUnsent: true })
    }
    onLoggedOut()
  }
  return <button onClick={() => void logout()}>Log out</button>
}
