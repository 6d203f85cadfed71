import type { Meta, StoryObj } from '@storybook/react-vite'
import { SelectorDemo } from './demos/Selectors.js'

const meta = {
  title: 'Records/Selectors and render counts',
  component: SelectorDemo,
  args: { rows: 8 },
  argTypes: { rows: { control: { type: 'range', min: 2, max: 30 } } },
  parameters: {
    docs: {
      description: {
        component: 'With `selector` (and `isEqual`), a component re-renders only when what it selected changed. Render counts are shown next to each component.',
      },
    },
  },
} satisfies Meta<typeof SelectorDemo>

export default meta
type Story = StoryObj<typeof meta>

/** Two subscribers side by side on the same live records. */
export const RenderCounts: Story = {}
