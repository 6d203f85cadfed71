import type { Preview } from '@storybook/react-vite'
import '../stories/stories.css'

const preview: Preview = {
  tags: ['autodocs'],
  parameters: {
    layout: 'padded',
    controls: { expanded: true, sort: 'requiredFirst' },
    options: { storySort: { order: ['Records', 'Documents', 'Connection'] } },
  },
}

export default preview
