import { useEffect, useState } from 'react'
import type { RecordCache, SyncClient } from 'syncline'
import { SyncProvider, SyncStatusBadge, createIndexedDBCache, createSyncClient, useRecords } from 'syncline'
import type { NetworkSwitch } from '../network.js'
import { createNetworkSwitch } from '../network.js'
import { ConnectionControls, StatusLog } from '../kit.js'
import { storyServer } from '../storyServer.js'
import type { Message } from './messages.js'
import { Composer, MessageList, roomUrl } from './messages.js'

interface OutboxProps {
  /** The room (a watchRecords `roomUri`); its IndexedDB database is named after it. */
  room: string
  /** Who is typing (the dev-mode server takes a write's author from its body). */
  author: string
}

/** One page load: a client and its IndexedDB cache, which a "reload" closes and replaces. */
interface PageLoad {
  number: number
  client: SyncClient
  cache: RecordCache
  /** Set by the first close, which later ones share. */
  closing?: Promise<void>
}

function openPage(number: number, dbName: string, network: NetworkSwitch, author: string): PageLoad {
  const cache = createIndexedDBCache({ dbName })
  const client = createSyncClient({
    recordsBaseUrl: storyServer.url,
    cache,
    did: author,
    // Retry quickly, so a restarted server is picked up within a second or two.
    reconnect: { initialDelayMs: 300, maxDelayMs: 2000 },
    fetch: network.fetch,
    WebSocket: network.WebSocket,
    environment: network.environment,
  })
  return { number, client, cache }
}

/** Closing flushes every store (and its outbox) to the cache first, so the cache closes last. */
const closePage = (page: PageLoad): Promise<void> => (page.closing ??= page.client.close().then(() => page.cache.close()))

function OutboxChat({ room, author }: OutboxProps) {
  const url = roomUrl(room)
  const { records, status, put, retry, discard, saved } = useRecords<Message>(url)
  const waiting = records.filter((record) => record.optimistic === 'pending').length
  return (
    <>
      <MessageList records={records} author={author} empty={status === 'live' ? 'No messages yet. Stop the server, then say hello.' : 'Loading…'} retry={retry} discard={discard} />
      <Composer onSend={(text) => void put({ text }).catch(() => {})} />
      <dl className="sl-levels" aria-label="Saved">
        <div data-ok={saved.local} data-saved-local={saved.local}>
          <dt>On this device (saved.local)</dt>
          <dd>{saved.local ? 'Saved' : 'Saving…'}</dd>
        </div>
        <div data-ok={saved.server} data-saved-server={saved.server}>
          <dt>On the server (saved.server)</dt>
          <dd>{saved.server ? 'Delivered' : `${waiting} message${waiting === 1 ? '' : 's'} waiting`}</dd>
        </div>
      </dl>
      <StatusLog status={status} />
    </>
  )
}

/**
 * Messages typed while the server is down wait in the outbox (IndexedDB), survive a reload
 * of the chat, and are delivered once the server is back.
 */
export function OutboxDemo({ room, author }: OutboxProps) {
  const [network] = useState(() => createNetworkSwitch())
  const dbName = `syncline-story-${room}`
  const [page, setPage] = useState<PageLoad | null>(() => openPage(1, dbName, network, author))
  useEffect(() => {
    if (!page) return
    return () => void closePage(page)
  }, [page])

  // What a reload does to syncline: the page's client and cache go away, and a new one opens
  // the same database and finds the unsent messages there.
  const reload = (): void => {
    if (!page) return
    setPage(null)
    void closePage(page).then(() => setPage(openPage(page.number + 1, dbName, network, author)))
  }

  return (
    <div className="sl-card sl-chat">
      <div className="sl-header">
        <h3># {room.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')}</h3>
        {page && (
          <SyncProvider client={page.client}>
            <SyncStatusBadge recordsUrl={roomUrl(room)} showSaved />
          </SyncProvider>
        )}
      </div>
      <ConnectionControls network={network} />
      <div className="sl-controls">
        <button className="sl-button" type="button" disabled={!page} onClick={reload}>Reload the chat</button>
        <span className="sl-muted" aria-label="Page load">{page ? `Page load ${page.number}` : 'Reloading…'}</span>
      </div>
      {page && (
        <SyncProvider key={page.number} client={page.client}>
          <OutboxChat room={room} author={author} />
        </SyncProvider>
      )}
    </div>
  )
}
