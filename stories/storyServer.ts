/**
 * Where the stories find their reference server, and the small control endpoint that
 * `npm run storybook` runs beside it to stop and restart it. Tests point this elsewhere.
 */
export const storyServer = {
  url: 'http://127.0.0.1:3031',
  control: 'http://127.0.0.1:3032',
}

export const documentsUrl = (): string => storyServer.url.replace(/^http/, 'ws')

/** Stops or restarts the stories' server (data is kept across a restart). */
export async function serverControl(action: 'stop' | 'start'): Promise<void> {
  const response = await fetch(`${storyServer.control}/${action}`, { method: 'POST' })
  if (!response.ok) throw new Error(`Could not ${action} the server: HTTP ${response.status}`)
}

let counter = 0
/** A room or name no other story or reload has used. */
export const fresh = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`
