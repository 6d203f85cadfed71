import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** The playground imports syncline from source, so edits to the library show up live. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: {
    alias: { syncline: resolve(import.meta.dirname, '../src/index.ts') },
  },
  server: { host: '127.0.0.1', port: 5173 },
})
