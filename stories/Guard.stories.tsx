import type { Meta, StoryObj } from '@storybook/react-vite'
import { UnsavedChangesGuard } from 'syncline'
import { GuardDemo } from './demos/Guard.js'

const meta = {
  title: 'Connection/Unsaved-changes guard',
  component: GuardDemo,
  subcomponents: { UnsavedChangesGuard },
  args: { level: 'server' },
  argTypes: { level: { control: { type: 'inline-radio' }, options: ['local', 'server'] } },
  parameters: {
    docs: {
      description: {
        component:
          '`<UnsavedChangesGuard level>` (or `useUnsavedChangesGuard`) asks the browser to confirm leaving while work is not saved at that level. Its `beforeunload` listener exists only while something is unsaved, so the page stays eligible for the back/forward cache.',
      },
    },
  },
} satisfies Meta<typeof GuardDemo>

export default meta
type Story = StoryObj<typeof meta>

/** With `server`: go offline and type; the guard stays on until the edit reaches the server. */
export const UntilSavedOnTheServer: Story = {}

/** With `local`: the guard only waits for the local cache, so it stays off even offline. */
export const UntilSavedLocally: Story = { args: { level: 'local' } }

