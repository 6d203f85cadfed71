/**
 * The pieces of contrail's format the fixture server (`contrailServer.ts`) is built from: its
 * row shape (`formatRecord` in contrail-appview `router/helpers.ts` at fa3d4cd, plus `space`), its
 * time-only keyset cursor (`encodeCursor`/`decodeCursor` in `core/db/records.ts`: base64url JSON
 * `{ t, k: 'time' }`), and the HTTP plumbing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface ContrailRow {
  uri: string
  cid: string | null
  value: unknown
  did: string
  collection: string
  rkey: string
  time_us: number
  space: string
}

export type Scope = { kind: 'space'; spaceUri: string } | { kind: 'actor'; actor: string }
export interface QuerySpec { collection: string; spaceUri?: string; actor?: string }
export interface LiveEvent { ts: number; kind: 'record.created' | 'record.deleted'; row: ContrailRow }
export type Send = (kind: string, data: unknown) => void

export function inScope(scope: Scope, row: ContrailRow): boolean {
  return scope.kind === 'space' ? row.space === scope.spaceUri : row.did === scope.actor
}

export function encodeCursor(timeUs: number): string {
  return Buffer.from(JSON.stringify({ t: timeUs, k: 'time' }), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | null): number | undefined {
  if (!cursor) return undefined
  try {
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; k?: unknown }
    return typeof payload.t === 'number' && payload.k === 'time' ? payload.t : undefined
  } catch {
    return undefined
  }
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
  response.end(JSON.stringify(body))
}

export async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of request) text += String(chunk)
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}
