'use client'
import type { ReactElement } from 'react'
import { useContext, useEffect, useMemo, useState } from 'react'
import type { SyncClient } from '../core/client.js'
import { SyncContext } from '../react/context.js'
import { DevtoolsLog } from './devtoolsLog.js'
import { ShadowRoot } from './ShadowRoot.js'
import { devtoolsCss } from './styles.js'
import { ActionsPanel } from './panels/ActionsPanel.js'
import { ConnectionsPanel } from './panels/ConnectionsPanel.js'
import { DocumentsPanel } from './panels/DocumentsPanel.js'
import { RecordsPanel } from './panels/RecordsPanel.js'
import { WirePanel } from './panels/WirePanel.js'

export interface SyncDevtoolsProps {
  /** Open the panel on mount. @default false */
  initialIsOpen?: boolean
  /** Where the button and the panel sit. @default 'bottom-right' */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left'
  /** The client to inspect. @default the nearest `<SyncProvider>`'s */
  client?: SyncClient
  /** Keep and show frame bodies in the Wire panel (they may hold user data). @default false */
  showFrameBodies?: boolean
  /** Frames kept for the Wire panel. @default 100 */
  maxFrames?: number
}

const TABS = ['Connections', 'Documents', 'Records', 'Wire', 'Actions'] as const
type Tab = (typeof TABS)[number]

/** The devtools themselves: a floating button, and a panel in a shadow root. */
export function SyncDevtoolsPanel(props: SyncDevtoolsProps): ReactElement | null {
  const context = useContext(SyncContext)
  const client = props.client ?? context?.client
  const [open, setOpen] = useState(props.initialIsOpen === true)
  const [tab, setTab] = useState<Tab>('Connections')
  const [, setVersion] = useState(0)
  // Kept here, not in the Actions tab: "offline" outlives a switch to another tab.
  const [offline, setOffline] = useState(false)
  const { showFrameBodies, maxFrames } = props
  // One log per client and options; it listens only while mounted.
  const log = useMemo(() => new DevtoolsLog({ bodies: showFrameBodies === true, ...(maxFrames !== undefined && { maxFrames }) }), [showFrameBodies, maxFrames])
  useEffect(() => {
    if (client === undefined) return
    const refresh = (): void => setVersion((version) => version + 1)
    const unsubscribe = [log.subscribe(refresh), client.subscribe(refresh), log.listen(client)]
    return () => {
      for (const stop of unsubscribe) stop()
    }
  }, [client, log])
  if (client === undefined) return null
  const [vertical, horizontal] = (props.position ?? 'bottom-right').split('-') as ['bottom' | 'top', 'left' | 'right']
  return (
    <ShadowRoot css={devtoolsCss}>
      {open ? (
        <div className={`panel ${vertical}`} role="dialog" aria-label="syncline devtools">
          <nav>
            {TABS.map((name) => (
              <button key={name} role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
                {name}
              </button>
            ))}
            <span style={{ flex: 1 }} />
            <button onClick={() => setOpen(false)} aria-label="Close syncline devtools">
              ×
            </button>
          </nav>
          <div className="body" role="tabpanel">
            {tab === 'Connections' && <ConnectionsPanel client={client} log={log} />}
            {tab === 'Documents' && <DocumentsPanel client={client} log={log} />}
            {tab === 'Records' && <RecordsPanel client={client} log={log} />}
            {tab === 'Wire' && <WirePanel log={log} />}
            {tab === 'Actions' && <ActionsPanel client={client} offline={offline} setOffline={setOffline} />}
          </div>
        </div>
      ) : (
        <button className={`toggle ${vertical} ${horizontal}`} onClick={() => setOpen(true)} aria-label="Open syncline devtools">
          syncline · {client.getConnectionStatus()}
        </button>
      )}
    </ShadowRoot>
  )
}
