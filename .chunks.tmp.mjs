import { build } from 'esbuild'
import { apps, root } from '/work/wt/m-bundles/bench/lib/bundle.mjs'
import { gzipSync } from 'node:zlib'
for (const name of process.argv.slice(2)) {
  const result = await build({ stdin: { contents: apps[name], resolveDir: root, loader: 'jsx', sourcefile: 'app.jsx' }, bundle: true, minify: true, treeShaking: true, format: 'esm', platform: 'browser', target: 'es2022', jsx: 'automatic', write: false, outdir: '/tmp/chunksout', metafile: true, splitting: true, external: ['react', 'react-dom', 'react/*', 'react-dom/*'], define: { 'process.env.NODE_ENV': '"production"' }, loader: { '.wasm': 'file' }, conditions: ['browser', 'production'], logLevel: 'silent' })
  const outs = result.metafile.outputs
  const gz = Object.fromEntries(result.outputFiles.map((f) => [f.path.replace(/.*chunksout\//, ''), gzipSync(f.contents, { level: 9 }).length]))
  const entry = Object.keys(outs).find((p) => /stdin\.js$/.test(p))
  const initial = new Set(); const visit = (p) => { if (initial.has(p)) return; initial.add(p); for (const i of outs[p].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path) }; visit(entry)
  console.log('==', name)
  for (const [p, o] of Object.entries(outs)) {
    if (!p.endsWith('.js')) continue
    const short = p.replace(/.*chunksout\//, '')
    console.log(initial.has(p) ? 'INIT' : 'lazy', short, o.bytes, 'gz', gz[short], Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k, v]) => k.replace(/.*src\//, '') + ':' + v.bytesInOutput).join(' ').slice(0, 600))
  }
}
