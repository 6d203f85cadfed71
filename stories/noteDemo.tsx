import { useEffect, useState } from 'react'
import type { SyncClient } from 'syncline'
import { createMemoryCache, createSyncClient, useCreateDoc } from 'syncline'
import { documentsUrl, storyServer } from './storyServer.js'

export interface Note {
  text: string
}

/** A client of the stories' server that retries quickly, so a restarted server is picked up at once. */
export function useStoryClient(): SyncClient {
  const [client] = useState(() =>
    createSyncClient({ url: documentsUrl(), recordsBaseUrl: storyServer.url, cache: createMemoryCache(), reconnect: { initialDelayMs: 300, maxDelayMs: 2000 } }),
  )
  return client
}

/** Creates the note document of a story, once per mount. */
export function NoteCreator({ onCreated }: { onCreated: (url: string) => void }) {
  const create = useCreateDoc<Note>()
  useEffect(() => {
    onCreated(create({ text: 'Edit me while the server is down.' }))
    // Once per mount: a new document for every story render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  return null
}
