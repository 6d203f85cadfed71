import { describe, expect, it } from 'vitest'
import { LazyModule } from '../../src/core/lazyModule.js'

describe('LazyModule', () => {
  it('loads once while it succeeds, and tries a failed load again on the next load()', async () => {
    let calls = 0
    let fail = true
    const module = new LazyModule(async () => {
      calls++
      if (fail) throw new Error('chunk failed to load')
      return { value: 42 }
    })
    expect(module.loaded).toBeNull()
    await expect(module.load()).rejects.toThrow('chunk failed to load')
    expect(module.loaded).toBeNull()
    fail = false
    const [first, second] = await Promise.all([module.load(), module.load()])
    expect(first).toBe(second)
    expect(module.loaded).toBe(first)
    await module.load()
    expect(calls).toBe(2)
  })
})
