import type { Meta, StoryObj } from '@storybook/react-vite'
import { SyncStatusBadge, UnsavedChangesGuard } from 'syncline'
import { ConnectionStates } from './demos/Connection.js'

const meta = {
  title: 'Connection/States and saved levels',
  component: ConnectionStates,
  subcomponents: { SyncStatusBadge, UnsavedChangesGuard },
  args: { showSaved: true, showLog: true },
  parameters: {
    docs: {
      description: {
        component:
          '`<SyncStatusBadge/>` follows the connection state machine (`connecting → snapshot → live → reconnecting → …`) and the two saved levels from `useSyncStatus()`. ' +
          '**Stop** the server (or take this client **offline**) and type: the edit is saved on this device but not on the server, the badge says so, and `useUnsavedChangesGuard` turns on. ' +
          'Start it again (or go online) and the client reconnects, sends the edit and is `live` again. The stories\' server keeps its data across a restart.',
      },
    },
  },
} satisfies Meta<typeof ConnectionStates>

export default meta
type Story = StoryObj<typeof meta>

/** The full panel: server and network buttons, the badge with both saved levels, and the state log. */
export const StopAndRestart: Story = {}

/** The badge alone, without the saved levels. */
export const StatusOnly: Story = { args: { showSaved: false, showLog: false } }
