// The frame kinds of a watchRecords stream (DESIGN §6), re-exported by watchRecords.ts.

/** Every frame kind a watchRecords stream may carry (SSE `event:` or WS `{ kind }`). */
export const WATCH_FRAME_KINDS = [
  'snapshot.start',
  'snapshot.record',
  'snapshot.end',
  'record.created',
  'record.deleted',
  'member.removed',
  'error',
  /** Carries nothing; a sign of life on sockets where comments cannot travel. */
  'keepalive',
] as const

export type WatchFrameKind = (typeof WATCH_FRAME_KINDS)[number]

const FRAME_KINDS: ReadonlySet<string> = new Set(WATCH_FRAME_KINDS)

export function isWatchFrameKind(kind: unknown): kind is WatchFrameKind {
  return typeof kind === 'string' && FRAME_KINDS.has(kind)
}
