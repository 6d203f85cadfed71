import { resolve } from 'node:path'
import type { StorybookConfig } from '@storybook/react-vite'
import { STORY_SERVER_PORT, storyServerPlugin } from './storyServer.js'

/**
 * Stories import syncline from source and talk to a reference server that `storybook dev`
 * starts itself (memory storage, 127.0.0.1:3031, see ./storyServer.ts); its
 * `/__syncline/stop` and `/__syncline/start` routes drive the connection stories. A built
 * Storybook shows the same stories against whatever server runs on that port.
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
      plugins: [storyServerPlugin(STORY_SERVER_PORT)],
      define: { 'import.meta.env.VITE_SYNCLINE_STORY_SERVER': JSON.stringify(`http://127.0.0.1:${STORY_SERVER_PORT}`) },
      resolve: { alias: { syncline: resolve(import.meta.dirname, '../src/index.ts') } },
      // Documents load Automerge lazily; pre-bundled, the dev server does not reload mid-story.
      optimizeDeps: { include: ['@automerge/automerge/slim', '@automerge/automerge/automerge.wasm.base64', 'idb'] },
    })
  },
}

export default config
