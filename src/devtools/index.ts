// `syncline/devtools`: renders nothing in a production build (bundlers replace
// process.env.NODE_ENV, and the panel is then shaken out); `syncline/devtools/production`
// keeps it.
import type { ReactElement } from 'react'
import type { SyncDevtoolsProps } from './SyncDevtoolsPanel.js'
import { SyncDevtoolsPanel } from './SyncDevtoolsPanel.js'

export type { SyncDevtoolsProps } from './SyncDevtoolsPanel.js'

declare const process: { env: { NODE_ENV?: string } }

/** Read as written, so that bundlers can replace it and drop the panel from production builds. */
export const SyncDevtools: (props: SyncDevtoolsProps) => ReactElement | null = process.env.NODE_ENV === 'production' ? () => null : SyncDevtoolsPanel
