import type { IncomingMessage } from 'node:http'
import type { Gatekeeper } from '../auth.js'
import type { OperationInfo } from '../events.js'
import { HttpError } from '../http.js'
import { DOCUMENTS_TOPIC, spaceTopic, watchTopic } from '../tickets.js'
import { requireRoom, requireRoomOf } from './validation.js'
import type { WatchAccess } from './watchAccess.js'

/** Contrail's topic kinds that name something other than one room; this server has no scope for them. */
const UNSUPPORTED_TOPICS = ['community:', 'actor:', 'collection:']

export interface TicketRequestContext {
  gate: Gatekeeper
  access: WatchAccess
  req: IncomingMessage
  url: URL
  op: OperationInfo
  assertCollection: (collection: string) => void
}

/**
 * The three bodies `realtime.ticket` takes, each answered `{ ticket, expiresAt, topics }`:
 * - `{ collection, roomUri }` (or `spaceUri`): a ticket for that one watch;
 * - `{ topic: 'space:<uri>' }`, contrail's form: a ticket for any watch in that room, which
 *   `authorize` is asked about for the room (no `collection`) now and per watch later;
 * - `{ scope: 'documents' }`: a ticket the document socket takes instead of a token.
 */
export async function mintTicketFor(body: Record<string, unknown>, context: TicketRequestContext): Promise<{ ticket: string; expiresAt: number; topics: string[] }> {
  const { gate, access, req, url, op } = context
  if (body.scope === 'documents') {
    // Each document is authorized on the socket itself, as it is with a token.
    const identity = await gate.identify(req, url, body.did)
    op.userId = identity.userId
    return withTopics(access.mint(identity, { topics: [DOCUMENTS_TOPIC] }), [DOCUMENTS_TOPIC])
  }
  if (body.topic !== undefined) {
    const room = spaceOfTopic(body)
    op.room = room
    const identity = await gate.identify(req, url, body.did)
    op.userId = identity.userId
    await gate.authorize({ type: 'read', access: 'read', userId: identity.userId, context: identity.context, room })
    const topics = [spaceTopic(room)]
    return withTopics(access.mint(identity, { topics }), topics)
  }
  if (typeof body.collection !== 'string') throw new HttpError(400, 'InvalidRequest', 'collection is required (or contrail\'s topic: "space:<uri>")')
  context.assertCollection(body.collection)
  const scope = { collection: body.collection, room: requireRoomOf(body) }
  Object.assign(op, scope)
  const identity = await gate.identify(req, url, body.did)
  op.userId = identity.userId
  await access.authorize('read', identity, scope)
  const topics = [watchTopic(scope.collection, scope.room)]
  return withTopics(access.mint(identity, { topics, querySpec: { collection: scope.collection, roomUri: scope.room } }), topics)
}

/** The room of a `{ topic }` body, or a 400 that says which topics this server takes. */
function spaceOfTopic(body: Record<string, unknown>): string {
  const { topic } = body
  if (typeof topic !== 'string') throw new HttpError(400, 'InvalidRequest', 'topic must be a string such as "space:<uri>"')
  if (body.collection !== undefined || body.roomUri !== undefined || body.spaceUri !== undefined) {
    throw new HttpError(400, 'InvalidRequest', 'send either topic or collection and roomUri, not both')
  }
  if (topic.startsWith('space:')) return requireRoom(topic.slice('space:'.length))
  const kind = UNSUPPORTED_TOPICS.find((prefix) => topic.startsWith(prefix))
  if (kind !== undefined) throw new HttpError(400, 'UnsupportedTopic', `${kind}… topics have no equivalent on this server; ask for "space:<uri>" (one room)`)
  throw new HttpError(400, 'InvalidTopic', 'topic must be "space:<uri>"')
}

const withTopics = (minted: { ticket: string; expiresAt: number }, topics: string[]) => ({ ...minted, topics })
