import { resolve } from 'node:path'
import type { StorybookConfig } from '@storybook/react-vite'

/**
 * Stories import syncline from source. They talk to a reference server on 127.0.0.1:3031,
 * which `npm run storybook` starts next to Storybook (scripts/storybook.mjs); the built
 * Storybook shows the same stories against whatever server runs there.
 */
const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.tsx'],
  addons: ['@storybook/addon-docs'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  typescript: { reactDocgen: 'react-docgen-typescript' },
  async viteFinal(viteConfig) {
    const { mergeConfig } = await import('vite')
    return mergeConfig(viteConfig, {
      resolve: { alias: { syncline: resolve(import.meta.dirname, '../src/index.ts') } },
      // Documents load Automerge lazily; pre-bundled, the dev server does not reload mid-story.
      optimizeDeps: { include: ['@automerge/automerge/slim', '@automerge/automerge/automerge.wasm.base64', 'idb'] },
    })
  },
}

export default config
