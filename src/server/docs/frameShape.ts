/**
 * A walk over a frame's CBOR bytes, before any decoder builds values from them. It checks
 * that the frame is one well-formed item with nothing after it, nested no deeper than
 * `maxDepth`, and using no tag but 64 (a typed Uint8Array, which old cbor-x setups put on
 * byte strings). Protocol "1" needs nothing else: a frame is one flat map whose deepest
 * field (the remote-heads gossip) is four levels down. Refusing here, without recursion,
 * keeps a hostile frame from overflowing the stack of a recursive decoder or encoder, and
 * from building cyclic values (tags 28/29, "shared references", which cbor-x understands).
 *
 * Returns null for an acceptable frame, or what is wrong with it.
 */
export function frameShapeProblem(bytes: Uint8Array, maxDepth: number): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  /** Items still expected by each open container; -1 for indefinite length (ended by a break). */
  const open: number[] = []
  /** For each open container: 2 or 3 for an indefinite byte/text string (only chunks of that type), else 0. */
  const chunkOf: number[] = []
  let offset = 0
  let rootDone = false

  const argument = (info: number): number | null => {
    if (info < 24) return info
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (size === 0 || offset + size > bytes.length) return null
    const start = offset
    offset += size
    if (size === 1) return view.getUint8(start)
    if (size === 2) return view.getUint16(start)
    if (size === 4) return view.getUint32(start)
    const big = view.getBigUint64(start)
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : null
  }

  /** One item of the innermost container is complete: close every container it finished. */
  const itemDone = (): void => {
    while (open.length > 0) {
      const last = open.length - 1
      if (open[last] === -1) return
      open[last]! -= 1
      if (open[last]! > 0) return
      open.pop()
      chunkOf.pop()
    }
    rootDone = true
  }

  while (!rootDone) {
    if (offset >= bytes.length) return 'the frame ends inside a CBOR item'
    const initial = bytes[offset++]!
    const major = initial >> 5
    const info = initial & 0x1f
    const chunk = chunkOf.length > 0 ? chunkOf[chunkOf.length - 1]! : 0
    if (initial === 0xff) {
      if (open.length === 0 || open[open.length - 1] !== -1) return 'a CBOR break outside an indefinite-length item'
      open.pop()
      chunkOf.pop()
      itemDone()
      continue
    }
    if (chunk !== 0 && (major !== chunk || info === 31)) return 'a bad chunk in an indefinite-length CBOR string'
    if (info === 31) {
      if (major === 0 || major === 1 || major === 6 || major === 7) return 'an indefinite length on a CBOR type that has none'
      if (open.length >= maxDepth) return `CBOR nested deeper than ${maxDepth} levels`
      open.push(-1)
      chunkOf.push(major === 2 || major === 3 ? major : 0)
      continue
    }
    if (major === 7) {
      if (info >= 28) return `the reserved CBOR simple value ${info}`
      const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
      if (offset + size > bytes.length) return 'the frame ends inside a CBOR item'
      offset += size
      itemDone()
      continue
    }
    const value = argument(info)
    if (value === null) return 'a CBOR length or number this protocol never uses'
    if (major === 0 || major === 1) {
      itemDone()
    } else if (major === 2 || major === 3) {
      if (value > bytes.length - offset) return 'a CBOR string runs past the end of the frame'
      offset += value
      itemDone()
    } else if (major === 4 || major === 5) {
      const items = major === 5 ? value * 2 : value
      // Every item takes at least one byte: a larger count is a lie meant to allocate.
      if (items > bytes.length - offset) return 'a CBOR container claims more items than the frame holds'
      if (items === 0) {
        itemDone()
        continue
      }
      if (open.length >= maxDepth) return `CBOR nested deeper than ${maxDepth} levels`
      open.push(items)
      chunkOf.push(0)
    } else {
      // Major type 6, a tag: only tag 64 around a byte string.
      if (value !== 64) return `CBOR tag ${value}, which protocol "1" does not use`
      if (offset >= bytes.length || bytes[offset]! >> 5 !== 2) return 'CBOR tag 64 must wrap a byte string'
    }
  }
  return offset === bytes.length ? null : 'bytes left over after the frame\'s CBOR item'
}
