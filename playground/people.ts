/** A stable color per name, for avatars and presence dots. */
const COLORS = ['#4c5bd4', '#0e9f6e', '#d97706', '#db2777', '#0891b2', '#7c3aed', '#dc2626', '#65a30d']

export function colorOf(name: string): string {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return COLORS[hash % COLORS.length]!
}

export const initialOf = (name: string): string => (name.replace(/^guest-/, '')[0] ?? '?').toUpperCase()
