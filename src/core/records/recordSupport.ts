import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RecordStoreRequest, SyncClientOptions } from '../clientOptions.js'
import type { RecordCache } from '../cache/types.js'
import { definedOptions } from '../definedOptions.js'
import type { Environment } from '../environment.js'
import type { EventTap } from '../eventTap.js'
import type { WatchRecordStore } from './recordStore.js'
import { collectionFromWatchUrl } from '../../wire/watchEndpoint.js'
import { createRecordStore } from './recordStore.js'
import { schemaKey } from './schemaKey.js'

/** What a `SyncClient` hands the record half when it needs a new store. */
export interface RecordStoreContext {
  readonly options: SyncClientOptions
  readonly cache: RecordCache | undefined
  /** The client's token reader, when it has a token. */
  readonly readToken: (() => Promise<string>) | undefined
  readonly environment: Environment
  /** The client's event tap (client.onEvent), shared by everything it makes. */
  readonly tap: EventTap
}

/**
 * The record half of a `SyncClient`, handed to it by whoever uses records (`useRecords` and
 * the other record hooks, or `createSyncClient`). The client class never imports it itself,
 * so an app that only uses documents bundles none of the record code.
 */
export interface RecordSupport {
  /** The key stores are shared under: one store per transport, URL and schema object. */
  keyOf(url: string, request: RecordStoreRequest<unknown>): string
  createStore(url: string, request: RecordStoreRequest<unknown>, context: RecordStoreContext): WatchRecordStore<unknown>
}

/** Record stores over watchRecords (SSE or WebSocket), as `createRecordStore` makes them. */
export const watchRecordSupport: RecordSupport = {
  keyOf: (url, request) => `${request.transport ?? 'sse'} ${url}${schemaKey(request.schema)}`,
  createStore(url, request, { options, cache, readToken, environment, tap }) {
    const { reconnect, heartbeatMs, fetch, WebSocket, onIgnoredError, recordsBaseUrl, allowedSocketOrigins, writer, sendLock, did } = options
    return createRecordStore<unknown>(
      {
        url,
        transport: request.transport ?? 'sse',
        ...definedOptions({ baseUrl: recordsBaseUrl, cache, reconnect, heartbeatMs, fetch, WebSocket, allowedSocketOrigins, onIgnoredError, writer, did, sendLock }),
        ...(readToken !== undefined && { token: readToken }),
        schema: request.schema as StandardSchemaV1<unknown, unknown> | undefined,
        // Loaded by the first connection, alongside its transport (recordConnection.ts waits for both at once).
        ...(readToken !== undefined && {
          mintTicket: () => {
            const baseUrl = recordsBaseUrl ?? (typeof location === 'undefined' ? undefined : location.origin)
            return import('./ticket.js').then(({ mintWatchTicket }) =>
              mintWatchTicket({
                watchUrl: url,
                collection: collectionFromWatchUrl(url, baseUrl) ?? '',
                readToken,
                baseUrl,
                fetch: fetch ?? globalThis.fetch.bind(globalThis),
              }),
            )
          },
        }),
      },
      { environment, tap },
    )
  },
}
