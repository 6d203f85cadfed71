export declare const root: string
export declare const RECORDS_BUDGET_BYTES: number
export declare const DOCUMENTS_BUDGET_BYTES: number
export declare const RECORDS_GOAL_BYTES: number
export declare const DOCUMENTS_GOAL_BYTES: number
export declare const apps: Record<string, string>
export declare const devtoolsApps: Record<string, string>
export interface AppSize {
  name: string
  /** The initial load (entry + static imports, JS and wasm), gzipped, in bytes. */
  gzip: number
  minified: number
  /** Only the JavaScript of the initial load, gzipped. */
  jsGzip: number
  /** JS chunks loaded on demand (reachable through dynamic imports), gzipped. */
  lazyJsGzip: number
  /** Wasm (a file or a base64 chunk) the app can load, gzipped. */
  wasmGzip: number
  totalGzip: number
  files: Array<{ file: string; minified: number; gzip: number; initial: boolean; lazy: boolean; wasm: boolean }>
  /** Inputs in the initial load, bytes in output, largest first. */
  inputs: Array<[string, number]>
  /** Things a records-only app must never carry that this one does. */
  forbidden: string[]
}
export declare function measureApp(name: string): Promise<AppSize>
