import { SyncError } from '../errors.js'

/** `ws:`/`wss:` as given; `http:`/`https:` mapped to them; relative URLs against the page. */
export function socketUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url, typeof location === 'undefined' ? undefined : location.href)
  } catch (error) {
    throw new SyncError('bad-input', `"${url}" is not a URL; pass the sync server as ws://host:port/ or wss://host/`, { cause: error })
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:'
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:'
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new SyncError('bad-input', `"${url}" is not a WebSocket URL; pass the sync server as ws://host:port/ or wss://host/`)
  }
  return parsed.toString()
}
