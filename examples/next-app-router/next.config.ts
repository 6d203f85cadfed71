import type { NextConfig } from 'next'

// Nothing for Automerge's wasm: syncline loads it as base64 JavaScript (a plain dynamic import)
// on the first document, in the browser only, so neither Turbopack nor webpack needs a wasm rule.
const config: NextConfig = {}

export default config
