import { describe } from 'vitest'
import { createMemoryCache } from '../../../src/core/cache/memoryCache.js'
import { docCacheContract } from './docCacheContract.js'

describe('memory doc cache', () => {
  docCacheContract(() => {
    const shared = createMemoryCache()
    return { open: () => shared }
  })
})
