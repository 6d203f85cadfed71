import type { Meta, StoryObj } from '@storybook/react-vite'
import { SyncStatusBadge } from 'syncline'
import { ChatDemo } from './demos/Chat.js'
import { fresh } from './storyServer.js'

const meta = {
  title: 'Records/Live chat',
  component: ChatDemo,
  subcomponents: { SyncStatusBadge },
  args: { room: fresh('general'), author: 'did:example:you', failures: 0, prefilled: 3, firstMessage: '', frameDelayMs: 0, transport: 'sse' },
  argTypes: {
    failures: { control: { type: 'range', min: 0, max: 3 } },
    prefilled: { control: { type: 'range', min: 0, max: 200, step: 10 } },
    frameDelayMs: { control: { type: 'range', min: 0, max: 200, step: 10 } },
    transport: { control: { type: 'inline-radio' }, options: ['sse', 'ws'] },
  },
  parameters: {
    docs: {
      description: {
        component:
          '`useRecords` against the reference server. Sends show at once (pending), then settle when the server echoes them. The status log shows `connecting → snapshot → live`: records of the snapshot appear as they arrive.',
      },
    },
  },
} satisfies Meta<typeof ChatDemo>

export default meta
type Story = StoryObj<typeof meta>

/** Type and send: the message shows at once, greyed until the server confirms it. */
export const OptimisticSend: Story = {}

/** The first send fails on the server: the message stays, marked failed, with Retry (which now succeeds) and Discard (rollback). */
export const FailedSendWithRetryAndRollback: Story = { args: { failures: 1, room: fresh('support'), firstMessage: 'This one bounces: press Retry or Discard' } }

/** A room with 40 earlier messages, streamed 40 ms apart: the badge says "Catching up…" while they arrive, then "Live"; the log below records each state. */
export const SnapshotThenLive: Story = { args: { prefilled: 40, frameDelayMs: 40, room: fresh('archive') } }

/** The same chat over the WebSocket transport: the snapshot comes with the handshake, then a socket carries live events. */
export const OverWebSocket: Story = { args: { transport: 'ws', room: fresh('sockets') } }
