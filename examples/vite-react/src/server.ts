/**
 * Where `npx syncline serve` listens by default. Set VITE_SYNCLINE_SERVER when building or
 * running the dev server to use another one (Vite inlines it at build time).
 */
export const serverUrl: string = import.meta.env.VITE_SYNCLINE_SERVER ?? 'http://127.0.0.1:3030'

/** The same server's automerge-repo sync endpoint: WebSocket on `/`. */
export const documentsUrl = serverUrl.replace(/^http/, 'ws')
