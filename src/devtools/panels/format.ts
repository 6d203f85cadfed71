/** `12:03:04.567`, local time. */
export function clock(time: number): string {
  const date = new Date(time)
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

/** JSON for display: bytes as their length, cycles and depth cut short. */
export function preview(value: unknown, space = 2): string {
  const seen = new WeakSet<object>()
  try {
    return (
      JSON.stringify(
        value,
        (_key, item: unknown) => {
          if (item instanceof Uint8Array) return `<${item.byteLength} bytes>`
          if (typeof item === 'object' && item !== null) {
            if (seen.has(item)) return '<cycle>'
            seen.add(item)
          }
          return item
        },
        space,
      ) ?? String(value)
    )
  } catch {
    return String(value)
  }
}
