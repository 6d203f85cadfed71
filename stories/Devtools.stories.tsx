import type { Meta, StoryObj } from '@storybook/react-vite'
import { SyncDevtools } from '../src/devtools/production.js'
import { ChatDemo } from './demos/Chat.js'
import { fresh } from './storyServer.js'

const meta = {
  title: 'Tools/Devtools',
  component: ChatDemo,
  subcomponents: { SyncDevtools },
  args: { room: fresh('devtools'), author: 'did:example:you', failures: 0, prefilled: 0, firstMessage: 'Hello from the devtools story', frameDelayMs: 0, transport: 'sse' },
  parameters: {
    docs: {
      description: {
        component:
          '`<SyncDevtools initialIsOpen />` from `syncline/devtools` beside the chat demo: Connections shows each stream\'s state-machine timeline, Records the outbox, Wire the frames. Stop the server (Connection stories) or press Simulate offline under Actions and send a message to watch a write wait.',
      },
    },
  },
  render: (args) => (
    <ChatDemo {...args}>
      <SyncDevtools initialIsOpen position="bottom-right" />
    </ChatDemo>
  ),
} satisfies Meta<typeof ChatDemo>

export default meta
type Story = StoryObj<typeof meta>

/** The panel open beside a live chat. */
export const BesideTheChat: Story = {}
