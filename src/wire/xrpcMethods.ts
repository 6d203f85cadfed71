/**
 * The xrpc method names of a collection's endpoints besides `watchRecords` (watchRecords.ts):
 * `/xrpc/<collection>.<method>`.
 */
export const LIST_RECORDS_METHOD = 'listRecords'
export const PUT_RECORD_METHOD = 'putRecord'
export const DELETE_RECORD_METHOD = 'deleteRecord'

/** The ticket endpoint's method (`POST /xrpc/realtime.ticket`); it names no collection. */
export const TICKET_METHOD = 'realtime.ticket'
