// `syncline/devtools/production`: the devtools in every build, production included.
export { SyncDevtoolsPanel as SyncDevtools } from './SyncDevtoolsPanel.js'
export type { SyncDevtoolsProps } from './SyncDevtoolsPanel.js'
