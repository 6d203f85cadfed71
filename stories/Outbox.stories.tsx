import type { Meta, StoryObj } from '@storybook/react-vite'
import { SyncStatusBadge } from 'syncline'
import { OutboxDemo } from './demos/Outbox.js'
import { fresh } from './storyServer.js'

const meta = {
  title: 'Records/Offline outbox',
  component: OutboxDemo,
  subcomponents: { SyncStatusBadge },
  args: { room: fresh('offline'), author: 'did:example:you' },
  parameters: {
    docs: {
      description: {
        component:
          '`useRecords(url).put` writes through a durable outbox in the cache (IndexedDB here). ' +
          '**Stop** the server and send a message: it shows as sending, with `saved.local` true and `saved.server` false. ' +
          '**Reload the chat** closes its client and cache and opens new ones on the same database (what a page reload does to syncline): the message is still there, still pending. ' +
          '**Start** the server: the client reconnects, sends the outbox, and the message is delivered, once.',
      },
    },
  },
} satisfies Meta<typeof OutboxDemo>

export default meta
type Story = StoryObj<typeof meta>

/** Stop the server, send, reload the chat, start the server: the message waits as pending, survives the reload, and is delivered. */
export const SendWhileTheServerIsDown: Story = {}
