import type { Meta, StoryObj } from '@storybook/react-vite'
import { SharedTodo } from './demos/Documents.js'

const meta = {
  title: 'Documents/Todo list',
  component: SharedTodo,
  args: { panels: 2 },
  argTypes: { panels: { control: { type: 'range', min: 1, max: 4 } } },
  parameters: {
    docs: {
      description: {
        component:
          '`useDoc` and `useCreateDoc` on Automerge documents through the reference server. Each panel is its own client with its own cache, as two browser tabs would be; edits apply locally at once and reach the other panels in a few milliseconds. Presence (`usePresence`) shows who else is there.',
      },
    },
  },
} satisfies Meta<typeof SharedTodo>

export default meta
type Story = StoryObj<typeof meta>

/** A collaborative todo list: check, add and remove items in one panel and watch the other. */
export const TwoTabs: Story = {}
