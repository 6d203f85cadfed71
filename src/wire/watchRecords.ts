/**
 * The watchRecords facts (DESIGN §6), declared once for the client (`src/core/records`)
 * and the reference server (`src/server/records`): frame kinds, the xrpc method grammar of
 * the endpoint URLs, and the default record order.
 *
 * The browser's record code imports the files below directly, never this one: what the page
 * needs (watchEndpoint.ts) and what only its lazily loaded code needs (the frame kinds, the
 * other method names) must not be reachable from one module, or esbuild makes one chunk of
 * them, shared by the page and the lazy code: a request and ~0.2 kB more on first load.
 */
export * from './watchEndpoint.js'
export * from './watchFrames.js'
export * from './xrpcMethods.js'
