/**
 * Where the stories find their reference server. `storybook dev` starts one (see
 * .storybook/storyServer.ts) and serves its stop/start controls on Storybook's own origin
 * under `/__syncline`. Tests point both elsewhere.
 */
export const storyServer = {
  url: (import.meta.env.VITE_SYNCLINE_STORY_SERVER as string | undefined) ?? 'http://127.0.0.1:3031',
  control: '/__syncline',
}

export const documentsUrl = (): string => storyServer.url.replace(/^http/, 'ws')

/** Stops or restarts the stories' server (what the stories wrote is kept across a restart). */
export async function serverControl(action: 'stop' | 'start'): Promise<void> {
  let response: Response
  try {
    response = await fetch(`${storyServer.control}/${action}`, { method: 'POST' })
  } catch {
    throw new Error(`Could not reach the server controls to ${action} the server`)
  }
  if (response.ok) return
  const body = (await response.json().catch(() => null)) as { message?: string } | null
  throw new Error(
    response.status === 503 && body?.message
      ? body.message
      : `The server controls are not available here (HTTP ${response.status}): they come with \`npm run storybook\`, not with a static build`,
  )
}

let counter = 0
/** A room or name no other story or reload has used. */
export const fresh = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

/** Whether the stories' server runs, or `undefined` where there are no controls (a static build). */
export async function serverRunning(): Promise<boolean | undefined> {
  try {
    const response = await fetch(`${storyServer.control}/status`)
    if (!response.ok) return undefined
    return ((await response.json()) as { running?: boolean }).running
  } catch {
    return undefined
  }
}
