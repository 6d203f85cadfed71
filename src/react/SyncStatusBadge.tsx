'use client'
import type { CSSProperties, ReactElement } from 'react'
import type { SyncStatus } from '../core/machine.js'
import { useConnectionStatus } from './useConnectionStatus.js'
import { useFailedWriteCount } from './useFailedWriteCount.js'
import { useOnline } from './useOnline.js'
import { useSyncStatus } from './useSyncStatus.js'

export interface SyncStatusBadgeLabels {
  idle: string
  connecting: string
  snapshot: string
  live: string
  reconnecting: string
  closed: string
  /** Shown instead of connecting/reconnecting while the browser reports no network. */
  offline: string
  savedLocal: string
  savedServer: string
  unsaved: (count: number) => string
  failed: (count: number) => string
}

export const defaultSyncStatusBadgeLabels: SyncStatusBadgeLabels = {
  idle: 'Idle',
  connecting: 'Connecting…',
  snapshot: 'Catching up…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Closed',
  offline: 'Offline',
  savedLocal: 'Saved locally',
  savedServer: 'Saved to server',
  unsaved: (count) => `${count} unsaved`,
  failed: (count) => `${count} failed`,
}

export interface SyncStatusBadgeProps {
  /** Show this watch's stream instead of the client's overall connection (also enables the failed count). */
  recordsUrl?: string | undefined
  /** The transport of `recordsUrl`. @default 'sse' */
  transport?: 'sse' | 'ws' | undefined
  /** Also show whether the local user's writes are saved. @default true */
  showSaved?: boolean | undefined
  /** Replace some or all of the texts (for another language, say). @default defaultSyncStatusBadgeLabels */
  labels?: Partial<SyncStatusBadgeLabels> | undefined
  className?: string | undefined
  /** Merged over the built-in inline styles. */
  style?: CSSProperties | undefined
}

type Tone = 'good' | 'busy' | 'bad' | 'quiet'
type SavedState = 'server' | 'local' | 'pending' | 'failed'

const TONE_COLORS: Record<Tone, string> = { good: '#16a34a', busy: '#d97706', bad: '#dc2626', quiet: '#9ca3af' }

const STATUS_TONES: Record<SyncStatus, Tone> = {
  idle: 'quiet',
  connecting: 'busy',
  snapshot: 'busy',
  live: 'good',
  reconnecting: 'bad',
  closed: 'quiet',
}

const badgeStyle: CSSProperties = {
  display: 'inline-flex',
  alignItems: 'center',
  gap: '0.4em',
  padding: '0.15em 0.6em',
  borderRadius: '999px',
  border: '1px solid rgba(127, 127, 127, 0.35)',
  font: '500 12px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif',
  whiteSpace: 'nowrap',
}
const separatorStyle: CSSProperties = { opacity: 0.5 }

/**
 * A small, screen-reader-friendly badge: a colored dot with the connection state and, by
 * default, how safe the local user's writes are. Rendered on the server, and while idle,
 * it shows only "Idle" (and unsaved or failed writes it knows of): whether work is saved is
 * not known before anything has loaded or connected. Unstyled apps get sensible inline
 * styles; styled apps can target `[data-status]` and `[data-saved]`.
 */
export function SyncStatusBadge({ recordsUrl, transport, showSaved = true, labels, className, style }: SyncStatusBadgeProps): ReactElement | null {
  const text = labels === undefined ? defaultSyncStatusBadgeLabels : { ...defaultSyncStatusBadgeLabels, ...labels }
  const status = useConnectionStatus(recordsUrl, { transport })
  const online = useOnline()
  const { pending, savedLocal, savedServer } = useSyncStatus()
  const failed = useFailedWriteCount(recordsUrl, transport)

  const offline = !online && (status === 'connecting' || status === 'reconnecting')
  const tone = offline ? 'bad' : STATUS_TONES[status]
  const connectionLabel = offline ? text.offline : text[status]

  // The most urgent fact wins: a failed write needs the user, a pending one needs patience.
  // While idle (always so on the server and during hydration) nothing has been loaded or
  // heard yet, so "saved" would be a guess: only writes known to be waiting are shown.
  const saved: SavedState | null =
    failed > 0 ? 'failed' : pending > 0 ? 'pending' : status === 'idle' ? null : savedServer ? 'server' : savedLocal ? 'local' : 'pending'
  const savedLabel =
    saved === 'failed' ? text.failed(failed) : saved === 'pending' ? text.unsaved(pending) : saved === 'server' ? text.savedServer : saved === 'local' ? text.savedLocal : null
  const showSavedState = showSaved && saved !== null

  return (
    <span
      role="status"
      aria-live="polite"
      className={className}
      data-status={offline ? 'offline' : status}
      data-saved={showSavedState ? saved : undefined}
      style={style === undefined ? badgeStyle : { ...badgeStyle, ...style }}
    >
      <span
        aria-hidden="true"
        style={{ width: '0.6em', height: '0.6em', borderRadius: '50%', flex: 'none', background: TONE_COLORS[tone] }}
      />
      <span>{connectionLabel}</span>
      {showSavedState && (
        <>
          <span aria-hidden="true" style={separatorStyle}>
            ·
          </span>
          <span style={saved === 'failed' ? { color: TONE_COLORS.bad } : undefined}>{savedLabel}</span>
        </>
      )}
    </span>
  )
}
