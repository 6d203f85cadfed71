import type { Meta, StoryObj } from '@storybook/react-vite'
import { SharedCounter } from './demos/Counter.js'

const meta = {
  title: 'Documents/Shared counter',
  component: SharedCounter,
  args: { panels: 2, type: 'Counter' },
  argTypes: {
    panels: { control: { type: 'range', min: 2, max: 4 } },
    type: { control: { type: 'inline-radio' }, options: ['Counter', 'number'] },
  },
  parameters: {
    docs: {
      description: {
        component:
          'One document, several clients with their own caches and sockets (as separate tabs would be), editing at the same moment through `useDoc(url, { selector })`. Changes apply locally first and meet on the server; the field type decides how concurrent edits merge.',
      },
    },
  },
} satisfies Meta<typeof SharedCounter>

export default meta
type Story = StoryObj<typeof meta>

/** Two panels on one Automerge Counter: press "+1 in every panel at once" and both end 2 higher. */
export const TwoPanels: Story = {}

/** The same with a plain number: concurrent increments conflict and only one survives. */
export const PlainNumberLosesIncrements: Story = { args: { type: 'number' } }
