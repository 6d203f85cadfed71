// `syncline/devtools`: renders nothing in a production build (bundlers replace
// process.env.NODE_ENV, and the panel is then shaken out); `syncline/devtools/production`
// keeps it.
import type { ReactElement } from 'react'
import type { SyncDevtoolsProps } from './SyncDevtoolsPanel.js'
import { SyncDevtoolsPanel } from './SyncDevtoolsPanel.js'

export type { SyncDevtoolsProps } from './SyncDevtoolsPanel.js'

declare const process: { env: { NODE_ENV?: string } } | undefined

/**
 * Read as written, so that bundlers can replace it and drop the panel from production builds:
 * after the replacement `typeof process<"u" && "production" !== "production"` is false. Without
 * a bundler and without `process` (plain ESM in a browser) it renders nothing, as in production:
 * there, import `syncline/devtools/production`.
 */
export const SyncDevtools: (props: SyncDevtoolsProps) => ReactElement | null =
  typeof process !== 'undefined' && process.env.NODE_ENV !== 'production' ? SyncDevtoolsPanel : () => null
