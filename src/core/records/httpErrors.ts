import { SyncError } from '../errors.js'

/** How long a failed response may take to show the start of its body for the error message. */
const BODY_PEEK_MS = 1000
const BODY_PEEK_CHARS = 200

/**
 * Maps a non-2xx response to a SyncError (DESIGN §6): 401 → 'unauthorized', 403 →
 * 'forbidden' (neither retried with the same ticket), 408/429/5xx → 'network' (worth a
 * retry), any other status → 'protocol'. Returns null for 2xx.
 *
 * The message names the endpoint without its ticket and quotes the start of the body
 * (XRPC servers explain themselves there, as `{ error, message }`). The body is always
 * released.
 */
export async function responseError(response: Response, endpoint: string): Promise<SyncError | null> {
  const { status } = response
  if (status >= 200 && status < 300) return null
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : isRetryable(status) ? 'network' : 'protocol'
  const detail = await peekBody(response)
  const statusText = response.statusText ? ` ${response.statusText}` : ''
  return new SyncError(code, `${endpoint} answered HTTP ${status}${statusText}${detail ? `: ${detail}` : ''}`, { status })
}

/** Whether a response's content type is `type` (parameters such as charset ignored). */
export function hasContentType(response: Response, type: string): boolean {
  const header = response.headers.get('content-type')
  if (!header) return false
  const semicolon = header.indexOf(';')
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase() === type
}

/** Appends query parameters, keeping the URL's own query as written and any fragment last. */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const hash = url.indexOf('#')
  let base = hash === -1 ? url : url.slice(0, hash)
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    base += `${base.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`
  }
  return hash === -1 ? base : base + url.slice(hash)
}

/** The endpoint as it may appear in messages and logs: no query, so never a ticket. */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return 'the watchRecords endpoint'
  }
}

/**
 * `responseError` for a watchRecords request (the SSE stream, the ws handshake): a 404 is
 * `'not-found'`, whose message names the URL and the usual cause, since a watch URL that
 * does not exist is almost always a missing or wrong `recordsBaseUrl` (a relative watch URL
 * then resolves against the page, whose server has no such route). It is retried with
 * backoff like any other failure: a server being deployed may answer 404 for a while.
 */
export async function watchResponseError(response: Response, endpoint: string): Promise<SyncError | null> {
  const error = await responseError(response, endpoint)
  if (error?.status !== 404) return error
  return new SyncError(
    'not-found',
    `${error.message}. There is no watchRecords endpoint at that URL: check the watch URL and the provider's recordsBaseUrl (missing, or pointing at the wrong server or path?)`,
    { status: 404 },
  )
}

export { errorMessage } from '../errors.js'

function isRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

/** Reads the start of a body, bounded in time and size, and cancels the rest. */
async function peekBody(response: Response): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  let timer: Parameters<typeof clearTimeout>[0]
  try {
    const first = await Promise.race([
      reader.read(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, BODY_PEEK_MS)
      }),
    ])
    if (!first || first.done || !first.value) return ''
    return summarize(new TextDecoder().decode(first.value))
  } catch {
    return ''
  } finally {
    clearTimeout(timer)
    reader.cancel().catch(() => {})
  }
}

function summarize(text: string): string {
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === 'object' && json !== null) {
      const { error, message } = json as { error?: unknown; message?: unknown }
      const parts = [error, message].filter((part): part is string => typeof part === 'string' && part.length > 0)
      if (parts.length > 0) return clip(parts.join(': '))
    }
  } catch {
    // Not JSON: quote it as text.
  }
  return clip(text.replace(/\s+/g, ' ').trim())
}

function clip(text: string): string {
  return text.length > BODY_PEEK_CHARS ? `${text.slice(0, BODY_PEEK_CHARS)}…` : text
}
