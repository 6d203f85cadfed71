import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
  // Automerge's WebAssembly ships as one base64 chunk (about 4.9 MB, 1.6 MB gzipped), fetched
  // on first document use, not with the page: raise the warning limit above it.
  build: { chunkSizeWarningLimit: 5000 },
})
