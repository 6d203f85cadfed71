// Mounts one README example (docs/examples) as an app would: `?example=quick-start` or
// `?example=documents`, under StrictMode as Vite's react-ts template renders.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'

const examples = {
  'quick-start': () => import('../../../docs/examples/quick-start.js'),
  documents: () => import('../../../docs/examples/documents.js'),
}

const name = new URLSearchParams(location.search).get('example')
if (name !== 'quick-start' && name !== 'documents') throw new Error(`No README example "${name}"`)
const { App } = await examples[name]()
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>)
