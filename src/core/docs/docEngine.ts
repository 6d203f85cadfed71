/**
 * The code that works on a loaded document: its sync with the server, its cache writes and
 * how it is built from the cache. It loads together with Automerge (`docConnection.ts`),
 * not with the page: nothing here can run before Automerge is in memory, and a document
 * paints from the cache only once Automerge has read the cached chunks.
 *
 * Only this chunk imports these modules; the page's code imports their types alone, so
 * esbuild does not split them into chunks of their own.
 */
export { createDoc, mergeChunks, readCache, startingDoc } from './docLoad.js'
export { DocPersister, sameHeads } from './docPersister.js'
export { DocSynchronizer } from './docSynchronizer.js'
