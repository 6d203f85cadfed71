/** Optional options without `undefined`: what `exactOptionalPropertyTypes` accepts for `{ x?: X }`. */
export type DefinedOptions<T> = { [K in keyof T]?: Exclude<T[K], undefined> }

/**
 * `options` without its undefined entries, so a caller can pass its own optional settings
 * on as they are instead of spelling `...(x !== undefined && { x })` for each.
 */
export function definedOptions<T extends object>(options: T): DefinedOptions<T> {
  const defined: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) if (value !== undefined) defined[key] = value
  return defined as DefinedOptions<T>
}
