import { WebSocket } from 'ws'
import { pollUntil } from './poll.js'

export interface Frame {
  kind: string
  data: Record<string, unknown>
}

/** Frames of one watch as they arrive, over SSE or a watch socket; `next` waits for the next one. */
export interface FrameReader {
  readonly frames: Frame[]
  /** The next frame not yet taken (keepalives skipped). */
  next(): Promise<Frame>
  /** Frames up to and including the first of `kind`. */
  until(kind: string): Promise<Frame[]>
  close(): void
}

function reader(frames: Frame[], close: () => void): FrameReader {
  let taken = 0
  const next = async (): Promise<Frame> => {
    await pollUntil(() => frames.length > taken, `frame ${taken + 1}`, 8000)
    return frames[taken++]!
  }
  return {
    frames,
    next,
    async until(kind) {
      const seen: Frame[] = []
      for (let frame = await next(); ; frame = await next()) {
        seen.push(frame)
        if (frame.kind === kind) return seen
      }
    },
    close,
  }
}

/** Reads an SSE watchRecords response in the background. */
export function sseFrames(response: Response): FrameReader {
  const frames: Frame[] = []
  const body = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  void (async () => {
    for (;;) {
      const { value, done } = await body.read().catch(() => ({ value: undefined, done: true }))
      if (done) return
      text += decoder.decode(value, { stream: true })
      for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n')) {
        const block = text.slice(0, end)
        text = text.slice(end + 2)
        const kind = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (kind !== undefined && data !== undefined) frames.push({ kind, data: JSON.parse(data) as Record<string, unknown> })
      }
    }
  })()
  return reader(frames, () => void body.cancel().catch(() => {}))
}

/** Opens a watch socket at `wsUrl` (relative to `baseUrl`) and collects its frames once open. */
export async function socketFrames(baseUrl: string, wsUrl: string): Promise<FrameReader> {
  const frames: Frame[] = []
  const url = new URL(wsUrl, baseUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(url)
  ws.on('message', (bytes: Buffer) => {
    const frame = JSON.parse(bytes.toString('utf8')) as Frame
    if (frame.kind !== 'keepalive') frames.push(frame)
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return reader(frames, () => ws.close())
}
