/**
 * The CBOR the automerge-repo protocol needs, in a few hundred bytes instead of a general
 * library's thirty thousand. Encoding produces the same bytes as automerge-repo's own
 * cbor-x setup (`new Encoder({ tagUint8Array: false, useRecords: false })`, DESIGN §7) for
 * what can travel: objects (a map with a 16-bit count, as cbor-x writes them), arrays,
 * strings, byte strings, numbers, booleans, null and undefined. Decoding reads any
 * well-formed CBOR those peers send, including indefinite lengths, half floats and tags.
 * A test checks both directions against cbor-x itself.
 */

export { encodeCbor } from './cborEncode.js'
export { decodeCbor } from './cborDecode.js'
