// The `syncline` entry: the React API plus the whole core.
export * from './core/index.js'
export * from './react/index.js'
