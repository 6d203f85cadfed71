// docs/examples/vite-chunk-limit.ts
import { defineConfig } from 'vite'

export default defineConfig({
  build: { chunkSizeWarningLimit: 5000 },  // Automerge's base64 wasm chunk is 4,859 kB, loaded on first document use
})
